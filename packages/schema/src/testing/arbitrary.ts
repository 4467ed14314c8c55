/**
 * Random valid values of any bpfmaps type, for property tests of codecs (ours,
 * and users' own). Needs fast-check. Tests may switch on kinds; the library
 * itself never does.
 */
import fc from 'fast-check';
import { formatIPv6, formatMac } from '../codec/net.js';
import { ArrayType } from '../types/array.js';
import type { CType } from '../types/base.js';
import { BitfieldType } from '../types/bitfield.js';
import { BytesType } from '../types/bytes.js';
import { CharsType } from '../types/chars.js';
import { CompositeType } from '../types/composite.js';
import { EnumType } from '../types/enum.js';
import { IPv4Type, ipv6, mac } from '../types/net.js';
import { BigIntType, BoolType, FloatType, Int64NumberType, IntType } from '../types/scalar.js';

function intRange(bits: number, signed: boolean): fc.Arbitrary<number> {
  return signed ? fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 }) : fc.integer({ min: 0, max: 2 ** bits - 1 });
}

const byteString = (size: number) => fc.uint8Array({ minLength: size, maxLength: size });

export function arbitraryOf(type: CType<unknown>): fc.Arbitrary<unknown> {
  if (type instanceof BitfieldType) return intRange(type.bits, type.signed);
  if (type instanceof IntType) return intRange(type.size * 8, type.spec.signed);
  if (type instanceof BigIntType) {
    return type.spec.signed ? fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }) : fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  }
  if (type instanceof Int64NumberType) {
    return fc.integer({ min: type.wide.spec.signed ? Number.MIN_SAFE_INTEGER : 0, max: Number.MAX_SAFE_INTEGER });
  }
  if (type instanceof BoolType) return fc.boolean();
  if (type instanceof FloatType) return type.size === 4 ? fc.float() : fc.double();
  if (type instanceof CharsType) {
    return fc.string({ unit: 'grapheme', maxLength: type.size - 1 }).filter((s) => !s.includes('\0') && Buffer.byteLength(s) <= type.size - 1);
  }
  if (type instanceof IPv4Type) return fc.ipV4();
  if (type === ipv6) return byteString(16).map(formatIPv6);
  if (type === mac) return byteString(6).map(formatMac);
  if (type instanceof BytesType) return byteString(type.size);
  if (type instanceof EnumType) {
    const known = new Set(Object.values(type.values) as number[]);
    const unknown = intRange(type.size * 8, type.storage.spec.signed).filter((n) => !known.has(n));
    return fc.oneof(fc.constantFrom(...Object.keys(type.values)), unknown);
  }
  if (type instanceof ArrayType) return fc.array(arbitraryOf(type.element), { minLength: type.length, maxLength: type.length });
  if (type instanceof CompositeType) return compositeArbitrary(type);
  throw new Error(`no arbitrary for ${type.label}`);
}

/** A struct sets every member; a union sets exactly one (an anonymous struct member counts as one). */
function compositeArbitrary(type: CompositeType<any, unknown>): fc.Arbitrary<unknown> {
  const visible = type.members.filter((m) => !m.type.hidden);
  const part = (m: (typeof visible)[number]): fc.Arbitrary<Record<string, unknown>> =>
    m.type.anonymous ? (arbitraryOf(m.type) as fc.Arbitrary<Record<string, unknown>>) : fc.record({ [m.name]: arbitraryOf(m.type) });
  // A union member made only of padding can never be the one set.
  const selectable = visible.filter((m) => !m.type.anonymous || (m.type as CompositeType<any, unknown>).tsNames().length > 0);
  if (type.keyword === 'union') return fc.oneof(...selectable.map(part));
  return fc.tuple(...visible.map(part)).map((parts) => Object.assign({}, ...parts) as Record<string, unknown>);
}
