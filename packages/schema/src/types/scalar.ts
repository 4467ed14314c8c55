import type { ISerialInput, ISerialOutput } from 'typed-binary';
import * as c from '../codec/primitives.js';
import { SchemaError } from '../errors.js';
import { CType, type DecodeSite, type EncodeSite } from './base.js';

type Check<T> = (v: unknown, p: string, f: string, i?: number) => T;

/** Facts about one C integer type. */
interface IntSpec<T> {
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

function args(site: EncodeSite): string {
  return `${site.value}, ${site.path}, ${site.field}${site.index ? `, ${site.index}` : ''}`;
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

  /** Marks a field the kernel increments: codegen emits an atomic add helper (`__sync_fetch_and_add`). */
  counter(): this {
    if (this.spec.bigEndian) throw new SchemaError('INVALID_TYPE', this.label, 'a counter must be in host byte order', 'Use u16/u32/u64');
    return this.withMeta({ counter: true });
  }

  tsEncode(site: EncodeSite): string[] {
    const order = this.size === 1 ? '' : `, ${!this.spec.bigEndian}`;
    return [`${site.view}.set${this.dataView}(${site.offset}, c.${this.spec.check}(${args(site)})${order});`];
  }

  tsDecode(site: DecodeSite): string {
    const order = this.size === 1 ? '' : `, ${!this.spec.bigEndian}`;
    return `${site.view}.get${this.dataView}(${site.offset}${order})`;
  }

  writeChecked(output: ISerialOutput, value: number, path: string, field: string, index?: number): void {
    const v = this.spec.checker(value, path, field, index);
    if (!this.spec.bigEndian) {
      writeLittle(output, this.size, this.spec.signed, v);
      return;
    }
    for (let shift = (this.size - 1) * 8; shift >= 0; shift -= 8) output.writeUint8((v >>> shift) & 0xff);
  }

  readValue(input: ISerialInput): number {
    if (!this.spec.bigEndian) return readLittle(input, this.size, this.spec.signed);
    let v = 0;
    for (let i = 0; i < this.size; i++) v = v * 256 + input.readUint8();
    return v;
  }
}

function writeLittle(output: ISerialOutput, size: number, signed: boolean, v: number): void {
  if (size === 1) signed ? output.writeInt8(v) : output.writeUint8(v);
  else if (size === 2) signed ? output.writeInt16(v) : output.writeUint16(v);
  else signed ? output.writeInt32(v) : output.writeUint32(v);
}

function readLittle(input: ISerialInput, size: number, signed: boolean): number {
  if (size === 1) return signed ? input.readInt8() : input.readUint8();
  if (size === 2) return signed ? input.readInt16() : input.readUint16();
  return signed ? input.readInt32() : input.readUint32();
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

  /** Marks a field the kernel increments: codegen emits an atomic add helper (`__sync_fetch_and_add`). */
  counter(): this {
    if (this.spec.bigEndian) throw new SchemaError('INVALID_TYPE', this.label, 'a counter must be in host byte order', 'Use u64 or i64');
    return this.withMeta({ counter: true });
  }

  /**
   * The same C type decoded as a JS number instead of a bigint: faster, and
   * exact up to 2^53. Decoding a larger value throws; encoding accepts numbers.
   */
  asNumber(): Int64NumberType {
    return new Int64NumberType(this);
  }

  tsEncode(site: EncodeSite): string[] {
    return [`${site.view}.set${this.dataView}(${site.offset}, c.${this.spec.check}(${args(site)}), ${!this.spec.bigEndian});`];
  }

  tsDecode(site: DecodeSite): string {
    return `${site.view}.get${this.dataView}(${site.offset}, ${!this.spec.bigEndian})`;
  }

  writeChecked(output: ISerialOutput, value: bigint, path: string, field: string, index?: number): void {
    const v = BigInt.asUintN(64, this.spec.checker(value, path, field, index));
    const words = [Number(v >> 32n), Number(v & 0xffffffffn)];
    if (!this.spec.bigEndian) words.reverse();
    for (const word of words) {
      if (this.spec.bigEndian) for (let shift = 24; shift >= 0; shift -= 8) output.writeUint8((word >>> shift) & 0xff);
      else output.writeUint32(word);
    }
  }

  readValue(input: ISerialInput): bigint {
    let v: bigint;
    if (this.spec.bigEndian) {
      v = 0n;
      for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(input.readUint8());
    } else {
      const lo = BigInt(input.readUint32());
      v = (BigInt(input.readUint32()) << 32n) | lo;
    }
    return this.spec.signed ? BigInt.asIntN(64, v) : v;
  }
}

function int(label: string, bytes: 1 | 2 | 4, signed: boolean, bigEndian: boolean, cName: string, checker: Check<number>) {
  const check = signed ? `i${bytes * 8}` : `u${bytes * 8}`;
  return new IntType({ label, bytes, signed, bigEndian, c: cName, check, checker });
}

function int64(label: string, signed: boolean, bigEndian: boolean, cName: string) {
  const check = signed ? 'i64' : 'u64';
  return new BigIntType({ label, bytes: 8, signed, bigEndian, c: cName, check, checker: signed ? c.i64 : c.u64 });
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

/** A 64-bit integer decoded as a JS number (see BigIntType.asNumber). */
export class Int64NumberType extends CType<number> {
  override readonly decodeMayThrow = true;
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

  counter(): this {
    return this.withMeta({ counter: this.wide.counter().meta.counter });
  }

  // Two 32-bit halves: no BigInt on the hot path (network order has no number mode).
  tsEncode(site: EncodeSite): string[] {
    if (this.wide.spec.bigEndian) return this.wide.tsEncode(site);
    return [`c.setInt64Number(${site.view}, ${site.offset}, ${site.value}, ${this.wide.spec.signed}, ${args(site).slice(site.value.length + 2)});`];
  }

  tsDecode(site: DecodeSite): string {
    if (this.wide.spec.bigEndian) return `c.toNumber(${this.wide.tsDecode(site)}, '${this.label}')`;
    return `c.getInt64Number(${site.view}, ${site.offset}, ${this.wide.spec.signed}, '${this.label}')`;
  }

  writeChecked(output: ISerialOutput, value: number, path: string, field: string, index?: number): void {
    this.wide.writeChecked(output, value as unknown as bigint, path, field, index);
  }

  readValue(input: ISerialInput): number {
    return c.toNumber(this.wide.readValue(input), this.label);
  }
}

/** C `_Bool`: one byte, TS boolean; any non-zero byte decodes as true. */
export class BoolType extends CType<boolean> {
  readonly size = 1;
  readonly align = 1;
  readonly tsType = 'boolean';
  readonly label = 'bool';

  cDeclare(declarator: string): string {
    return `_Bool ${declarator}`;
  }

  tsEncode(site: EncodeSite): string[] {
    return [`${site.view}.setUint8(${site.offset}, c.bool(${args(site)}));`];
  }

  tsDecode(site: DecodeSite): string {
    return `${site.view}.getUint8(${site.offset}) !== 0`;
  }

  writeChecked(output: ISerialOutput, value: boolean, path: string, field: string, index?: number): void {
    output.writeUint8(c.bool(value, path, field, index));
  }

  readValue(input: ISerialInput): boolean {
    return input.readUint8() !== 0;
  }
}

/** C `float` or `double`, stored for user space (BPF programs cannot compute with them). */
export class FloatType extends CType<number> {
  readonly tsType = 'number';
  readonly label: string;
  readonly align: number;
  private readonly dataView: string;

  constructor(readonly size: 4 | 8) {
    super();
    this.align = size;
    this.label = size === 4 ? 'f32' : 'f64';
    this.dataView = size === 4 ? 'Float32' : 'Float64';
  }

  cDeclare(declarator: string): string {
    return `${this.size === 4 ? 'float' : 'double'} ${declarator}`;
  }

  tsEncode(site: EncodeSite): string[] {
    return [`${site.view}.set${this.dataView}(${site.offset}, c.float(${args(site)}), true);`];
  }

  tsDecode(site: DecodeSite): string {
    return `${site.view}.get${this.dataView}(${site.offset}, true)`;
  }

  writeChecked(output: ISerialOutput, value: number, path: string, field: string, index?: number): void {
    const v = c.float(value, path, field, index);
    const bytes = new DataView(new ArrayBuffer(8));
    if (this.size === 4) bytes.setFloat32(0, v, true);
    else bytes.setFloat64(0, v, true);
    for (let i = 0; i < this.size; i++) output.writeUint8(bytes.getUint8(i));
  }

  readValue(input: ISerialInput): number {
    const bytes = new DataView(new ArrayBuffer(8));
    for (let i = 0; i < this.size; i++) bytes.setUint8(i, input.readUint8());
    return this.size === 4 ? bytes.getFloat32(0, true) : bytes.getFloat64(0, true);
  }
}

/** C `_Bool`: TS boolean. */
export const bool = new BoolType();
/** C `float`: TS number (rounded to single precision). */
export const f32 = new FloatType(4);
/** C `double`: TS number. */
export const f64 = new FloatType(8);
