import { ArrayType, BigIntType, CharsType, IntType, StructType, type CType } from '@bpfmaps/schema';
import fc from 'fast-check';

/** Random valid values of a schema type, for comparing codecs. Tests may switch on kinds; the library may not. */
export function arbitraryOf(type: CType<unknown>): fc.Arbitrary<unknown> {
  if (type instanceof IntType) {
    const bits = type.size * 8;
    return type.spec.signed ? fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 }) : fc.integer({ min: 0, max: 2 ** bits - 1 });
  }
  if (type instanceof BigIntType) return type.spec.signed ? fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }) : fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  if (type instanceof CharsType) {
    return fc.string({ unit: 'grapheme', maxLength: type.size - 1 }).filter((s) => Buffer.byteLength(s) <= type.size - 1 && !s.includes('\0'));
  }
  if (type instanceof ArrayType) return fc.array(arbitraryOf(type.element), { minLength: type.length, maxLength: type.length });
  if (type instanceof StructType) {
    return fc.record(Object.fromEntries(type.members.map((m) => [m.name, arbitraryOf(m.type)])));
  }
  throw new Error(`no arbitrary for ${type.label}`);
}
