/**
 * Checks and helpers shared by the reference codec and the generated codecs.
 * Every check returns the value it accepted, so generated code can write
 * `view.setUint16(o, c.u16(x.sport, p, 'sport'), true)`. The path of the value
 * at fault (`FlowKey.sport`, `Flow.ports[2]`) is built only when a check fails.
 */
import { EncodeError } from '../errors.js';

export { EncodeError };

/** Throws the EncodeError for the value at `p.f[i]`; the one place such paths are spelled. */
export function fail(p: string, f: string, i: number | undefined, expected: string, received: unknown): never {
  const at = f === '' ? p : `${p}.${f}`;
  throw new EncodeError(i === undefined ? at : `${at}[${i}]`, expected, received);
}

export function u8(v: unknown, p: string, f: string, i?: number): number {
  if (typeof v === 'number' && (v & 0xff) === v) return v;
  return fail(p, f, i, 'an integer in 0..255 (u8)', v);
}
export function u16(v: unknown, p: string, f: string, i?: number): number {
  if (typeof v === 'number' && (v & 0xffff) === v) return v;
  return fail(p, f, i, 'an integer in 0..65535 (u16)', v);
}
export function u32(v: unknown, p: string, f: string, i?: number): number {
  if (typeof v === 'number' && v >>> 0 === v) return v;
  return fail(p, f, i, 'an integer in 0..4294967295 (u32)', v);
}
export function i8(v: unknown, p: string, f: string, i?: number): number {
  if (typeof v === 'number' && (v << 24) >> 24 === v) return v;
  return fail(p, f, i, 'an integer in -128..127 (i8)', v);
}
export function i16(v: unknown, p: string, f: string, i?: number): number {
  if (typeof v === 'number' && (v << 16) >> 16 === v) return v;
  return fail(p, f, i, 'an integer in -32768..32767 (i16)', v);
}
export function i32(v: unknown, p: string, f: string, i?: number): number {
  if (typeof v === 'number' && (v | 0) === v) return v;
  return fail(p, f, i, 'an integer in -2147483648..2147483647 (i32)', v);
}

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Accepts a bigint, or a safe integer number, in 0..2^64-1. */
export function u64(v: unknown, p: string, f: string, i?: number): bigint {
  if (typeof v === 'bigint') {
    if (v >= 0n && v <= U64_MAX) return v;
  } else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
    return BigInt(v);
  }
  return fail(p, f, i, 'a bigint in 0..2^64-1 (u64)', v);
}
/** Accepts a bigint, or a safe integer number, in -2^63..2^63-1. */
export function i64(v: unknown, p: string, f: string, i?: number): bigint {
  if (typeof v === 'bigint') {
    if (v >= I64_MIN && v <= I64_MAX) return v;
  } else if (typeof v === 'number' && Number.isSafeInteger(v)) {
    return BigInt(v);
  }
  return fail(p, f, i, 'a bigint in -2^63..2^63-1 (i64)', v);
}

/** Checks that a struct value is an object before its fields are read. */
export function obj(v: unknown, p: string, f: string, i?: number): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, f, i, 'an object', v);
}

/** Checks that a fixed array has exactly `length` elements. */
export function arr(v: unknown, length: number, p: string, f: string, i?: number): void {
  if (!Array.isArray(v) || v.length !== length) fail(p, f, i, `an array of exactly ${length} elements`, v);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Writes `v` as UTF-8 into a C `char[size]` and NUL-pads the rest, so equal
 * strings always have equal bytes. The string must leave room for its NUL.
 */
export function chars(view: DataView, offset: number, size: number, v: unknown, p: string, f: string, i?: number): void {
  if (typeof v !== 'string') return fail(p, f, i, charsExpected(size), v);
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, size);
  const { read, written } = encoder.encodeInto(v, bytes);
  if (read !== v.length || written > size - 1) return fail(p, f, i, charsExpected(size), v);
  bytes.fill(0, written);
}

export function charsExpected(size: number): string {
  return `a string of at most ${size - 1} UTF-8 bytes (char[${size}] keeps one byte for the NUL)`;
}

/** Reads a C `char[size]`: the bytes before the first NUL, as UTF-8. */
export function readChars(view: DataView, offset: number, size: number): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, size);
  const end = bytes.indexOf(0);
  return decoder.decode(end === -1 ? bytes : bytes.subarray(0, end));
}

/** Zeroes `length` bytes: padding is always written as zeros, so keys compare by bytes. */
export function zero(view: DataView, offset: number, length: number): void {
  new Uint8Array(view.buffer, view.byteOffset + offset, length).fill(0);
}
