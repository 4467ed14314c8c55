/**
 * The exporter's scrape, as Prometheus sees it: GET /metrics from serve(),
 * asked and read whole by another process (a Node http client, timed from
 * the request to the last byte): every entry of the bench's 5-tuple hash
 * map read, reduced to series, rendered as Prometheus text and sent. Its C
 * baseline is the read alone (batch lookup of the same map, c/bench.c
 * entries).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createMap, HashMap, type KeyedMap } from '@bpfmaps/runtime';
import { Registry, registerMaps, serve } from '@bpfmaps/exporter';
import { CountersCodec, TupleCodec, flowsSpec } from '../bench.gen.js';
import { flows } from '../bench.schema.js';
import { keyOf, valueOf } from './data.js';

/** Two GETs (a warm-up, then the one timed); prints the second's nanoseconds and the bytes it read. */
const CLIENT = `
const http = require('node:http');
const get = () => new Promise((resolve, reject) => {
  const start = process.hrtime.bigint();
  http.get(process.argv[1], (res) => {
    let bytes = 0;
    res.on('data', (chunk) => (bytes += chunk.length));
    res.on('end', () => res.statusCode === 200 ? resolve([process.hrtime.bigint() - start, bytes]) : reject(new Error('HTTP ' + res.statusCode)));
  }).on('error', reject);
});
get().then(get).then(([ns, bytes]) => console.log(String(ns), bytes));
`;

/** Nanoseconds of one scrape of a map of `n` entries (after a warm-up scrape). */
export async function runScrape(n: number): Promise<number> {
  using map = createMap(HashMap, { ...flowsSpec, maxEntries: n }, TupleCodec, CountersCodec);
  map.setMany(Array.from({ length: n }, (_, i) => [keyOf(i), valueOf(i)] as const));
  const registry = new Registry();
  registerMaps(registry, [{ decl: flows, map: map as unknown as KeyedMap<unknown, unknown> }], {
    maxSeries: n,
  });
  const { server, port } = await serve(registry, { port: 0, host: '127.0.0.1' });
  try {
    (globalThis as { gc?: () => void }).gc?.();
    const { stdout } = await promisify(execFile)(process.execPath, [
      '-e',
      CLIENT,
      `http://127.0.0.1:${port}/metrics`,
    ]);
    const [ns, bytes] = stdout.trim().split(' ').map(Number);
    // Four numbers a series, each a line of some 80 bytes at least.
    if (!(bytes! > n * 4 * 80)) throw new Error(`scrape: ${bytes} bytes for ${n} entries`);
    return ns!;
  } finally {
    server.close();
  }
}
