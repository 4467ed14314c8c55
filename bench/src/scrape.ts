/**
 * The exporter's scrape: every entry of a hash map read, reduced to series
 * and rendered as Prometheus text (what one GET /metrics costs, less the
 * socket: renderMetrics, as serve() does), on the bench's 5-tuple map. Its C baseline is the read alone
 * (batch lookup of the same map, c/bench.c entries).
 */
import { createMap, HashMap, type KeyedMap } from '@bpfmaps/runtime';
import { Registry, registerMaps, renderMetrics } from '@bpfmaps/exporter';
import { CountersCodec, TupleCodec, flowsSpec } from '../bench.gen.js';
import { flows } from '../bench.schema.js';
import { keyOf, valueOf } from './data.js';

/** Nanoseconds of one scrape of a map of `n` entries (after a warm-up scrape). */
export async function runScrape(n: number): Promise<number> {
  using map = createMap(HashMap, { ...flowsSpec, maxEntries: n }, TupleCodec, CountersCodec);
  map.setMany(Array.from({ length: n }, (_, i) => [keyOf(i), valueOf(i)] as const));
  const registry = new Registry();
  registerMaps(registry, [{ decl: flows, map: map as unknown as KeyedMap<unknown, unknown> }], {
    maxSeries: n,
  });
  await renderMetrics(registry);
  (globalThis as { gc?: () => void }).gc?.();
  const start = process.hrtime.bigint();
  const text = await renderMetrics(registry);
  const elapsed = Number(process.hrtime.bigint() - start);
  if (!text.includes('bpfmaps_flows_a{')) throw new Error('scrape: no series');
  return elapsed;
}
