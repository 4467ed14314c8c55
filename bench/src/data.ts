/** The keys and values every implementation works on: the same as c/bench.c builds. */
import type { Counters, Tuple } from '../bench.gen.js';

export function keyOf(i: number): Tuple {
  return { saddr: 0x0a000000 + (i >>> 16), daddr: i >>> 0, sport: i & 0xffff, dport: 80, proto: 6 };
}

export function valueOf(i: number): Counters {
  return { a: i, b: 2 * i, c: 3 * i, d: 4 * i };
}

/** The raw bytes of key i, for node_bpf, which takes Buffers and does no encoding. */
export function keyBytes(i: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(0x0a000000 + (i >>> 16), 0);
  b.writeUInt32BE(i >>> 0, 4);
  b.writeUInt16BE(i & 0xffff, 8);
  b.writeUInt16BE(80, 10);
  b.writeUInt8(6, 12);
  return b;
}

export function valueBytes(i: number): Buffer {
  const b = Buffer.alloc(32);
  [1, 2, 3, 4].forEach((m, k) => b.writeBigUInt64LE(BigInt(m * i), k * 8));
  return b;
}
