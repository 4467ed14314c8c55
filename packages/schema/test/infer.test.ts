import { describe, expectTypeOf, it } from 'vitest';
import { arrayOf, be16, chars, hash, struct, u64, u8, type Infer, type InferKey, type InferValue } from '../src/index.js';

describe('type inference', () => {
  it('infers decoded TS types from a struct', () => {
    const Point = struct('Point', { x: u8 });
    const S = struct('S', { port: be16, n: u64, name: chars(8), xs: arrayOf(u8, 2), p: Point });
    expectTypeOf<Infer<typeof S>>().toEqualTypeOf<{ port: number; n: bigint; name: string; xs: number[]; p: { x: number } }>();
  });

  it('infers key and value types of a map', () => {
    const K = struct('K', { id: u8 });
    const m = hash('m', { key: K, value: u64, maxEntries: 1 });
    expectTypeOf<InferKey<typeof m>>().toEqualTypeOf<{ id: number }>();
    expectTypeOf<InferValue<typeof m>>().toEqualTypeOf<bigint>();
  });
});
