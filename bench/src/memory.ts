/**
 * Peak memory of a streaming entries() over N entries, in a process of its
 * own so nothing else the bench did counts. Prints JSON: { entries, growth }.
 */
import { createMap, HashMap } from '@bpfmaps/runtime';
import { CountersCodec, TupleCodec, flowsSpec } from '../bench.gen.js';
import { keyOf, valueOf } from './data.js';

const n = Number(process.argv[2] ?? 1_000_000);
using map = createMap(HashMap, { ...flowsSpec, maxEntries: n }, TupleCodec, CountersCodec);
const chunk = 100_000;
for (let i = 0; i < n; i += chunk)
  map.setMany(
    Array.from(
      { length: Math.min(chunk, n - i) },
      (_, j) => [keyOf(i + j), valueOf(i + j)] as const,
    ),
  );
globalThis.gc?.();
const start = process.memoryUsage();
let peakRss = start.rss;
let peakHeap = start.heapUsed;
let seen = 0;
for (const [key] of map.entries()) {
  if (key.proto !== 6) throw new Error('bad key');
  if (++seen % 4096 === 0) {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }
}
// RSS is what the target is about; the heap shows the garbage the walk made between collections.
console.log(
  JSON.stringify({
    entries: seen,
    growth: peakRss - start.rss,
    heapGrowth: peakHeap - start.heapUsed,
  }),
);
