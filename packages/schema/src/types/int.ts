import type { ByteInput, ByteOutput } from './serial.js';
import * as c from '../codec/primitives.js';
import { SchemaError } from '../errors.js';
import type { FastCheck } from './arbitrary-types.js';
import { CType, type DecodeSite, type EncodeSite } from './base.js';
import type { TypeSpec } from '../btf/type-spec.js';

type Check<T> = (v: unknown, p: string, f: string, i?: number) => T;

/** Facts about one C integer type. */
export interface IntSpec<T> {
  label: string;
  bytes: 1 | 2 | 4 | 8;
  signed: boolean;
  /** Stored most significant byte first (network order), whatever the host. */
  bigEndian: boolean;
  /** Spelling in the generated header (linux/types.h). */
  c: string;
  /** Name of the checker in `@bpfmaps/schema/codec`. */
  check: string;
  checker: Check<T>;
}

/** The checker's arguments after the value: `p, 'field'` or `p, 'field', i0`. */
export function checkArgs(site: EncodeSite): string {
  return `${site.path}, ${site.field}${site.index ? `, ${site.index}` : ''}`;
}

/** An integer's BTF facts: size, signedness and, for `__be` types, byte order. */
function intSpec(spec: IntSpec<unknown>): TypeSpec {
  return {
    kind: 'int',
    size: spec.bytes,
    signed: spec.signed,
    ...(spec.bigEndian && { bigEndian: true as const }),
  };
}

function counterOf<T extends CType<unknown>>(type: T, spec: IntSpec<unknown>, hint: string): T {
  if (spec.bigEndian) {
    throw new SchemaError('INVALID_TYPE', spec.label, 'a counter must be in host byte order', hint);
  }
  return (type as unknown as { withMeta(meta: object): T }).withMeta({ counter: true });
}

/** Integers of 8, 16 and 32 bits: decoded as JS numbers. */
export class IntType extends CType<number> {
  readonly size: number;
  readonly align: number;
  readonly tsType = 'number';
  readonly label: string;
  private readonly dataView: string;

  constructor(readonly spec: IntSpec<number>) {
    super();
    this.size = spec.bytes;
    this.align = spec.bytes;
    this.label = spec.label;
    this.dataView = `${spec.signed ? 'Int' : 'Uint'}${spec.bytes * 8}`;
  }

  cDeclare(declarator: string): string {
    return `${this.spec.c} ${declarator}`;
  }

  /** Marks a field the kernel increments: codegen emits an add helper for it. */
  counter(): this {
    return counterOf(this, this.spec, 'Use u16/u32/u64');
  }

  typeSpec(): TypeSpec {
    return intSpec(this.spec);
  }

  /** The smallest and largest values. */
  range(): [number, number] {
    const bits = this.size * 8;
    return this.spec.signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
  }

  tsEncode(site: EncodeSite): string[] {
    const order = this.size === 1 ? '' : `, ${!this.spec.bigEndian}`;
    const value = `c.${this.spec.check}(${site.value}, ${checkArgs(site)})`;
    return [`${site.view}.set${this.dataView}(${site.offset}, ${value}${order});`];
  }

  tsDecode(site: DecodeSite): string {
    const order = this.size === 1 ? '' : `, ${!this.spec.bigEndian}`;
    return `${site.view}.get${this.dataView}(${site.offset}${order})`;
  }

  writeChecked(
    output: ByteOutput,
    value: number,
    path: string,
    field: string,
    index?: number,
  ): void {
    const v = this.spec.checker(value, path, field, index);
    const unsigned = v < 0 ? v + 2 ** (this.size * 8) : v;
    const bytes = Array.from(
      { length: this.size },
      (_, k) => Math.floor(unsigned / 2 ** (8 * k)) % 256,
    );
    if (this.spec.bigEndian) bytes.reverse();
    for (const b of bytes) output.writeUint8(b);
  }

  readValue(input: ByteInput): number {
    const bytes = Array.from({ length: this.size }, () => input.readUint8());
    if (!this.spec.bigEndian) bytes.reverse();
    const v = bytes.reduce((n, b) => n * 256 + b, 0);
    const [, max] = this.range();
    return v > max ? v - 2 ** (this.size * 8) : v;
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    const [min, max] = this.range();
    return fc.integer({ min, max });
  }
}

/** 64-bit integers: decoded as bigint, so no value is ever rounded. */
export class BigIntType extends CType<bigint> {
  readonly size = 8;
  readonly align = 8;
  readonly tsType = 'bigint';
  readonly label: string;
  private readonly dataView: string;

  constructor(readonly spec: IntSpec<bigint>) {
    super();
    this.label = spec.label;
    this.dataView = spec.signed ? 'BigInt64' : 'BigUint64';
  }

  cDeclare(declarator: string): string {
    return `${this.spec.c} ${declarator}`;
  }

  typeSpec(): TypeSpec {
    return intSpec(this.spec);
  }

  /** Marks a field the kernel increments: codegen emits an add helper for it. */
  counter(): this {
    return counterOf(this, this.spec, 'Use u64 or i64');
  }

  /**
   * The same C type decoded as a JS number instead of a bigint: faster, and
   * exact up to 2^53. Decoding a larger value throws; encoding accepts numbers.
   */
  asNumber(): Int64NumberType {
    return new Int64NumberType(this);
  }

  tsEncode(site: EncodeSite): string[] {
    const value = `c.${this.spec.check}(${site.value}, ${checkArgs(site)})`;
    return [`${site.view}.set${this.dataView}(${site.offset}, ${value}, ${!this.spec.bigEndian});`];
  }

  tsDecode(site: DecodeSite): string {
    return `${site.view}.get${this.dataView}(${site.offset}, ${!this.spec.bigEndian})`;
  }

  writeChecked(
    output: ByteOutput,
    value: bigint,
    path: string,
    field: string,
    index?: number,
  ): void {
    let v = BigInt.asUintN(64, this.spec.checker(value, path, field, index));
    const bytes: number[] = [];
    for (let k = 0; k < 8; k++, v >>= 8n) bytes.push(Number(v & 0xffn));
    if (this.spec.bigEndian) bytes.reverse();
    for (const b of bytes) output.writeUint8(b);
  }

  readValue(input: ByteInput): bigint {
    const bytes = Array.from({ length: 8 }, () => input.readUint8());
    if (!this.spec.bigEndian) bytes.reverse();
    const v = bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
    return this.spec.signed ? BigInt.asIntN(64, v) : v;
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    return this.spec.signed
      ? fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })
      : fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  }
}

/** A 64-bit integer decoded as a JS number (see BigIntType.asNumber). */
export class Int64NumberType extends CType<number> {
  readonly size = 8;
  readonly align = 8;
  readonly tsType = 'number';
  readonly label: string;

  constructor(readonly wide: BigIntType) {
    super();
    this.label = `${wide.label}.asNumber()`;
  }

  cDeclare(declarator: string): string {
    return this.wide.cDeclare(declarator);
  }

  typeSpec(): TypeSpec {
    return this.wide.typeSpec();
  }

  counter(): this {
    return counterOf(this, this.wide.spec, 'Use u64 or i64');
  }

  /** Decoding throws on bytes another union member wrote (beyond 2^53), so it cannot sit below a union. */
  override checkMember(path: string, context: { insideUnion: boolean }): void {
    if (!context.insideUnion) return;
    throw new SchemaError(
      'INVALID_TYPE',
      path,
      `${this.label} cannot be in a union: decoding reads every member, and a number-mode 64-bit field throws on bytes another member wrote`,
      `Use the bigint form (${this.wide.label})`,
    );
  }

  // Two 32-bit halves: no BigInt on the hot path (network order has no number mode).
  tsEncode(site: EncodeSite): string[] {
    if (this.wide.spec.bigEndian) return this.wide.tsEncode(site);
    return [
      `c.setInt64Number(${site.view}, ${site.offset}, ${site.value}, ${this.wide.spec.signed}, ${checkArgs(site)});`,
    ];
  }

  tsDecode(site: DecodeSite): string {
    if (this.wide.spec.bigEndian) return `c.toNumber(${this.wide.tsDecode(site)}, '${this.label}')`;
    return `c.getInt64Number(${site.view}, ${site.offset}, ${this.wide.spec.signed}, '${this.label}')`;
  }

  writeChecked(
    output: ByteOutput,
    value: number,
    path: string,
    field: string,
    index?: number,
  ): void {
    // The bigint checkers accept safe-integer numbers too.
    this.wide.writeChecked(output, value as unknown as bigint, path, field, index);
  }

  readValue(input: ByteInput): number {
    return c.toNumber(this.wide.readValue(input), this.label);
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    return fc.integer({
      min: this.wide.spec.signed ? Number.MIN_SAFE_INTEGER : 0,
      max: Number.MAX_SAFE_INTEGER,
    });
  }
}

function int(
  label: string,
  bytes: 1 | 2 | 4,
  signed: boolean,
  bigEndian: boolean,
  cName: string,
  checker: Check<number>,
) {
  const check = signed ? `i${bytes * 8}` : `u${bytes * 8}`;
  return new IntType({ label, bytes, signed, bigEndian, c: cName, check, checker });
}

function int64(label: string, signed: boolean, bigEndian: boolean, cName: string) {
  const check = signed ? 'i64' : 'u64';
  return new BigIntType({
    label,
    bytes: 8,
    signed,
    bigEndian,
    c: cName,
    check,
    checker: signed ? c.i64 : c.u64,
  });
}

/** C `__u8`: TS number 0..255. */
export const u8 = int('u8', 1, false, false, '__u8', c.u8);
/** C `__u16`: TS number, host byte order. */
export const u16 = int('u16', 2, false, false, '__u16', c.u16);
/** C `__u32`: TS number, host byte order. */
export const u32 = int('u32', 4, false, false, '__u32', c.u32);
/** C `__u64`: TS bigint, host byte order. */
export const u64 = int64('u64', false, false, '__u64');
/** C `__s8`: TS number -128..127. */
export const i8 = int('i8', 1, true, false, '__s8', c.i8);
/** C `__s16`: TS number. */
export const i16 = int('i16', 2, true, false, '__s16', c.i16);
/** C `__s32`: TS number. */
export const i32 = int('i32', 4, true, false, '__s32', c.i32);
/** C `__s64`: TS bigint. */
export const i64 = int64('i64', true, false, '__s64');
/** C `__be16`: network byte order in memory, a host number in TS (ports). */
export const be16 = int('be16', 2, false, true, '__be16', c.u16);
/** C `__be32`: network byte order in memory, a host number in TS (IPv4 addresses). */
export const be32 = int('be32', 4, false, true, '__be32', c.u32);
/** C `__be64`: network byte order in memory, a host bigint in TS. */
export const be64 = int64('be64', false, true, '__be64');
