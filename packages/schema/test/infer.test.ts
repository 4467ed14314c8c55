import { describe, expectTypeOf, it } from 'vitest';
import {
  arrayOf,
  be16,
  chars,
  hash,
  struct,
  u64,
  u8,
  type Infer,
  type InferKey,
  type InferValue,
} from '../src/index.js';

describe('type inference', () => {
  it('infers decoded TS types from a struct', () => {
    const Point = struct('Point', { x: u8 });
    const S = struct('S', { port: be16, n: u64, name: chars(8), xs: arrayOf(u8, 2), p: Point });
    expectTypeOf<Infer<typeof S>>().toEqualTypeOf<{
      port: number;
      n: bigint;
      name: string;
      xs: number[];
      p: { x: number };
    }>();
  });

  it('infers key and value types of a map', () => {
    const K = struct('K', { id: u8 });
    const m = hash('m', { key: K, value: u64, maxEntries: 1 });
    expectTypeOf<InferKey<typeof m>>().toEqualTypeOf<{ id: number }>();
    expectTypeOf<InferValue<typeof m>>().toEqualTypeOf<bigint>();
  });
});

describe('type inference of every construct', () => {
  it('inlines anonymous members, hides padding, types enums, unions and number mode', async () => {
    const s = await import('../src/index.js');
    const P = s.enumType('P', { TCP: 6, UDP: 17 }, { storage: s.u8 });
    const U = s.union('U', { a: s.u32, b: s.ipv6 });
    const S = s.struct('S', {
      p: P,
      r: s.pad(3),
      flags: s.bits(s.u32, 3),
      n: s.u64.asNumber(),
      ok: s.bool,
      u: U,
      anon: s.anonymousUnion({ v4: s.ipv4, raw: s.bytes(4) }),
    });
    expectTypeOf<Infer<typeof S>>().toEqualTypeOf<{
      p: 'TCP' | 'UDP' | number;
      flags: number;
      n: number;
      ok: boolean;
      u: { a?: number; b?: string };
      v4?: string;
      raw?: Uint8Array;
    }>();
  });
});
