/**
 * The peer: npm `bpf` (node_bpf), the only other Node library for BPF maps.
 * It takes and returns raw Buffers: no encoding or decoding, so it does less
 * work than the other two. Undefined where it cannot do the workload.
 */
import { createRequire } from 'node:module';
import type { Workload } from './workloads.js';
import { keyBytes, valueBytes } from './data.js';

interface NodeBpf {
  createMap(opts: { type: number; keySize: number; valueSize: number; maxEntries: number }): {
    close(): void;
  };
  RawMap: new (ref: { close(): void }) => {
    get(k: Buffer): Buffer | undefined;
    set(k: Buffer, v: Buffer): void;
    delete(k: Buffer): boolean;
    setBatch(entries: [Buffer, Buffer][]): void;
    entries(): IterableIterator<[Buffer, Buffer]>;
  };
  MapType: { HASH: number };
}

const nodeBpf = createRequire(import.meta.url)('bpf') as NodeBpf;

export function runNodeBpf(workload: Workload, n: number): number | undefined {
  if (!['set', 'get', 'delete', 'entries', 'setMany'].includes(workload)) return undefined;
  const keys = Array.from({ length: n }, (_, i) => keyBytes(i));
  const values = Array.from({ length: n }, (_, i) => valueBytes(i));
  const fd = nodeBpf.createMap({
    type: nodeBpf.MapType.HASH,
    keySize: 16,
    valueSize: 32,
    maxEntries: n,
  });
  const map = new nodeBpf.RawMap(fd);
  try {
    if (workload !== 'set' && workload !== 'setMany')
      keys.forEach((k, i) => map.set(k, values[i]!));
    const entries = keys.map((k, i): [Buffer, Buffer] => [k, values[i]!]);
    let sink = 0;
    const start = process.hrtime.bigint();
    if (workload === 'set') keys.forEach((k, i) => map.set(k, values[i]!));
    else if (workload === 'get') for (const k of keys) sink += map.get(k)![0]!;
    else if (workload === 'delete') for (const k of keys) map.delete(k);
    else if (workload === 'setMany') map.setBatch(entries);
    else if (workload === 'entries') for (const [, v] of map.entries()) sink += v[0]!;
    return Number(process.hrtime.bigint() - start) + sink * 0;
  } finally {
    fd.close(); // the map, and its kernel memory, goes with its last fd
  }
}
