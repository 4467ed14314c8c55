/**
 * Checks and helpers shared by the reference codec and the generated codecs.
 * Every check returns the value it accepted, so generated code can write
 * `view.setUint16(o, c.u16(x.sport, p, 'sport'), true)`. The path of the value
 * at fault (`FlowKey.sport`, `Flow.ports[2]`) is built only when a check fails.
 */
import { EncodeError } from '../errors.js';
import { formatIPv4, formatIPv6, formatMac, parseIPv4, parseIPv6, parseMac } from './net.js';

export { EncodeError };

/** Throws the EncodeError for the value at `p.f[i]`; the one place such paths are spelled. */
export function fail(
  p: string,
  f: string,
  i: number | undefined,
  expected: string,
  received: unknown,
  receivedText?: string,
): never {
  const at = f === '' ? p : `${p}.${f}`;
  throw new EncodeError(i === undefined ? at : `${at}[${i}]`, expected, received, receivedText);
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
  return fail(p, f, i, 'a bigint in 0..2^64-1 (u64)', v, unsafeText(v));
}
/** Accepts a bigint, or a safe integer number, in -2^63..2^63-1. */
export function i64(v: unknown, p: string, f: string, i?: number): bigint {
  if (typeof v === 'bigint') {
    if (v >= I64_MIN && v <= I64_MAX) return v;
  } else if (typeof v === 'number' && Number.isSafeInteger(v)) {
    return BigInt(v);
  }
  return fail(p, f, i, 'a bigint in -2^63..2^63-1 (i64)', v, unsafeText(v));
}

/** A number past 2^53 is not the integer it prints as: say so, and how to write it exactly. */
function unsafeText(v: unknown): string | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v) || Number.isSafeInteger(v)) return undefined;
  return `the number ${v}, which is past 2^53 and so not exact (write a bigint: ${BigInt(v)}n)`;
}

/** A boolean as the byte C stores: 1 or 0. */
export function bool(v: unknown, p: string, f: string, i?: number): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return fail(p, f, i, 'a boolean', v);
}

/** Any JS number (NaN and infinities included) for a double. */
export function f64(v: unknown, p: string, f: string, i?: number): number {
  if (typeof v === 'number') return v;
  return fail(p, f, i, 'a number', v);
}

/**
 * A number for a C float. NaN and infinities pass; a finite number too large
 * for single precision is refused rather than silently stored as Infinity.
 */
export function f32(v: unknown, p: string, f: string, i?: number): number {
  if (typeof v === 'number' && (!Number.isFinite(v) || Number.isFinite(Math.fround(v)))) return v;
  return fail(p, f, i, 'a number within the f32 range (about ±3.4e38), or ±Infinity or NaN', v);
}

/** A decoded 64-bit integer as a number; throws when it cannot be exact. */
export function toNumber(v: bigint, label: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(
      `${label}: the kernel value ${v} is beyond 2^53 and cannot be a JS number exactly; declare the field as a bigint (${label.replace('.asNumber()', '')})`,
    );
  }
  return Number(v);
}

/** Checks that a struct value is an object before its fields are read. */
export function obj(v: unknown, p: string, f: string, i?: number): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, f, i, 'an object', v);
}

/**
 * Which member group of a union value is set: exactly one group (a member, or
 * the members of an anonymous struct) must have a defined value.
 */
export function pick(v: unknown, groups: readonly (readonly string[])[], p: string): number {
  obj(v, p, '');
  const value = v as Record<string, unknown>;
  let chosen = -1;
  for (let g = 0; g < groups.length; g++) {
    if (!(groups[g] as readonly string[]).some((name) => value[name] !== undefined)) continue;
    if (chosen >= 0) chosen = -2;
    else if (chosen === -1) chosen = g;
  }
  if (chosen >= 0) return chosen;
  const options = groups
    .filter((g) => g.length > 0)
    .map((g) => (g.length === 1 ? g[0] : `{${g.join(', ')}}`));
  const set = groups.flat().filter((k) => value[k] !== undefined);
  throw new EncodeError(
    p,
    `exactly one union member of ${options.join(', ')}`,
    undefined,
    set.length ? `${set.join(' and ')} set` : 'none set',
  );
}

/** Checks that a fixed array has exactly `length` elements. */
export function arr(v: unknown, length: number, p: string, f: string, i?: number): void {
  if (!Array.isArray(v) || v.length !== length)
    fail(p, f, i, `an array of exactly ${length} elements`, v);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Writes `v` as UTF-8 into a C `char[size]` and NUL-pads the rest, so equal
 * strings always have equal bytes. The string must leave room for its NUL.
 */
export function chars(
  view: DataView,
  offset: number,
  size: number,
  v: unknown,
  p: string,
  f: string,
  i?: number,
): void {
  if (typeof v !== 'string' || v.includes('\0')) return fail(p, f, i, charsExpected(size), v);
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, size);
  const { read, written } = encoder.encodeInto(v, bytes);
  if (read !== v.length || written > size - 1) return fail(p, f, i, charsExpected(size), v);
  bytes.fill(0, written);
}

export function charsExpected(size: number): string {
  return `a string of at most ${size - 1} UTF-8 bytes without NUL (char[${size}] keeps one byte for the NUL)`;
}

/**
 * Strings read lately, by a hash of their bytes: the same few names (a
 * command, a path) come back in event after event, and comparing bytes is
 * several times cheaper than decoding them again.
 */
const RECENT_SLOTS = 256;
const RECENT_LONGEST = 64;
const recentBytes: (DataView | undefined)[] = new Array(RECENT_SLOTS);
const recentText: string[] = new Array<string>(RECENT_SLOTS).fill('');

/** A 32-bit word holds a zero byte (the classic test: no byte-by-byte loop). */
const hasZeroByte = (word: number) => ((word - 0x01010101) & ~word & 0x80808080) !== 0;

/** Reads a C `char[size]`: the bytes before the first NUL, as UTF-8. */
export function readChars(view: DataView, offset: number, size: number): string {
  // The length and a hash of the bytes, four at a time while no NUL is among them.
  let hash = 0x811c9dc5;
  let length = 0;
  for (let word; length + 4 <= size; length += 4) {
    word = view.getUint32(offset + length, true);
    if (hasZeroByte(word)) break;
    hash = Math.imul(hash ^ word, 0x01000193);
  }
  for (let byte; length < size; length++) {
    byte = view.getUint8(offset + length);
    if (byte === 0) break;
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  const at = view.byteOffset + offset;
  if (length > RECENT_LONGEST) return decoder.decode(new Uint8Array(view.buffer, at, length));
  const slot = (hash ^ length) & (RECENT_SLOTS - 1);
  const seen = recentBytes[slot];
  if (seen?.byteLength === length && sameBytes(seen, view, offset, length))
    return recentText[slot]!;
  const bytes = new Uint8Array(view.buffer.slice(at, at + length));
  const text = decoder.decode(bytes);
  recentBytes[slot] = new DataView(bytes.buffer);
  recentText[slot] = text;
  return text;
}

function sameBytes(seen: DataView, view: DataView, offset: number, length: number): boolean {
  let i = 0;
  for (; i + 4 <= length; i += 4)
    if (seen.getUint32(i, true) !== view.getUint32(offset + i, true)) return false;
  for (; i < length; i++) if (seen.getUint8(i) !== view.getUint8(offset + i)) return false;
  return true;
}

/** Zeroes `length` bytes: padding is always written as zeros, so keys compare by bytes. */
export function zero(view: DataView, offset: number, length: number): void {
  new Uint8Array(view.buffer, view.byteOffset + offset, length).fill(0);
}

/** Writes exactly `size` bytes from a Uint8Array of that length. */
export function bytes(
  view: DataView,
  offset: number,
  size: number,
  v: unknown,
  p: string,
  f: string,
  i?: number,
): void {
  if (!(v instanceof Uint8Array) || v.length !== size)
    return fail(p, f, i, `a Uint8Array of exactly ${size} bytes`, v);
  new Uint8Array(view.buffer, view.byteOffset + offset, size).set(v);
}

/** A copy of `size` bytes (never a view into a reused buffer). */
export function readBytes(view: DataView, offset: number, size: number): Uint8Array {
  return new Uint8Array(
    view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + size),
  );
}

/** "10.0.0.1" -> its be32 value. */
export function ipv4(v: unknown, p: string, f: string, i?: number): number {
  const n = typeof v === 'string' ? parseIPv4(v) : undefined;
  return n ?? fail(p, f, i, 'an IPv4 address such as "10.0.0.1"', v);
}

export { formatIPv4, formatIPv6, formatMac, parseIPv4, parseIPv6, parseMac };

export function ipv6(
  view: DataView,
  offset: number,
  v: unknown,
  p: string,
  f: string,
  i?: number,
): void {
  const b = typeof v === 'string' ? parseIPv6(v) : undefined;
  if (!b) return fail(p, f, i, 'an IPv6 address such as "2001:db8::1"', v);
  new Uint8Array(view.buffer, view.byteOffset + offset, 16).set(b);
}

export function readIPv6(view: DataView, offset: number): string {
  return formatIPv6(new Uint8Array(view.buffer, view.byteOffset + offset, 16));
}

export function mac(
  view: DataView,
  offset: number,
  v: unknown,
  p: string,
  f: string,
  i?: number,
): void {
  const b = typeof v === 'string' ? parseMac(v) : undefined;
  if (!b) return fail(p, f, i, 'a MAC address such as "aa:bb:cc:dd:ee:ff"', v);
  new Uint8Array(view.buffer, view.byteOffset + offset, 6).set(b);
}

export function readMac(view: DataView, offset: number): string {
  return formatMac(new Uint8Array(view.buffer, view.byteOffset + offset, 6));
}

/** An enum member name or number -> its number. Unknown numbers pass (the kernel may know more). */
export function enumValue(
  v: unknown,
  values: Readonly<Record<string, number>>,
  p: string,
  f: string,
  i?: number,
): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && Object.hasOwn(values, v)) return values[v] as number;
  return fail(p, f, i, `one of ${Object.keys(values).join(', ')} or an integer`, v);
}

/** A number -> its enum member name, or the number itself when no member has it. */
export function enumName<N extends string>(
  n: number,
  names: Readonly<Record<number, N>>,
): N | number {
  return Object.hasOwn(names, n) ? (names[n] as N) : n;
}

/** Checks a bitfield value: an integer that fits in `width` bits, signed or not. */
export function bitsValue(
  v: unknown,
  width: number,
  signed: boolean,
  p: string,
  f: string,
  i?: number,
): number {
  const min = signed ? -(2 ** (width - 1)) : 0;
  const max = signed ? 2 ** (width - 1) - 1 : 2 ** width - 1;
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  return fail(
    p,
    f,
    i,
    `an integer in ${min}..${max} (${signed ? 'signed' : 'unsigned'} ${width}-bit field)`,
    v,
  );
}

/**
 * ORs `value` into `width` bits starting `bit` bits after `offset`, least
 * significant bit first (the little-endian bitfield order of BPF and x86-64).
 * The bits must be zero before: encoders zero bitfield storage first.
 */
export function setBits(
  view: DataView,
  offset: number,
  bit: number,
  width: number,
  value: number,
): void {
  let v = width === 32 ? value >>> 0 : value < 0 ? value + 2 ** width : value;
  let at = offset + (bit >> 3);
  let shift = bit & 7;
  let left = width;
  while (left > 0) {
    const take = Math.min(8 - shift, left);
    const part = v % 2 ** take;
    view.setUint8(at, view.getUint8(at) | (part << shift));
    v = Math.floor(v / 2 ** take);
    left -= take;
    shift = 0;
    at++;
  }
}

/** Reads `width` bits starting `bit` bits after `offset`; sign-extends when `signed`. */
export function getBits(
  view: DataView,
  offset: number,
  bit: number,
  width: number,
  signed: boolean,
): number {
  let v = 0;
  let scale = 1;
  let at = offset + (bit >> 3);
  let shift = bit & 7;
  let left = width;
  while (left > 0) {
    const take = Math.min(8 - shift, left);
    v += ((view.getUint8(at) >> shift) & ((1 << take) - 1)) * scale;
    scale *= 2 ** take;
    left -= take;
    shift = 0;
    at++;
  }
  return signed && v >= 2 ** (width - 1) ? v - 2 ** width : v;
}

/**
 * A 64-bit integer written from a JS number without a BigInt: two 32-bit
 * halves (number-mode u64/i64, host byte order). Accepts safe integers only.
 */
export function setInt64Number(
  view: DataView,
  offset: number,
  v: unknown,
  signed: boolean,
  p: string,
  f: string,
  i?: number,
): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || (!signed && v < 0)) {
    fail(
      p,
      f,
      i,
      signed ? 'a safe integer (i64 as number)' : 'a safe integer >= 0 (u64 as number)',
      v,
    );
  }
  const n = v as number;
  const lo = n >>> 0;
  const hi = Math.floor(n / 4294967296);
  view.setUint32(offset, lo, true);
  view.setInt32(offset + 4, hi, true);
}

/** A 64-bit integer read as a JS number without a BigInt; throws beyond 2^53 rather than round. */
export function getInt64Number(
  view: DataView,
  offset: number,
  signed: boolean,
  label: string,
): number {
  const lo = view.getUint32(offset, true);
  const hi = signed ? view.getInt32(offset + 4, true) : view.getUint32(offset + 4, true);
  // The common case, a value under 2^32: no float arithmetic, so V8 can keep small ones as Smis (no allocation).
  if (hi === 0) return lo;
  if (hi > 0x1fffff || hi < -0x1fffff) {
    return toNumber(
      signed ? view.getBigInt64(offset, true) : view.getBigUint64(offset, true),
      label,
    );
  }
  return hi * 4294967296 + lo;
}
