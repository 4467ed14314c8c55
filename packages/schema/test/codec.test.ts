import { describe, expect, it } from 'vitest';
import { arrayOf, be16, be32, be64, chars, decodeReference, encodeReference, EncodeError, i16, i32, i64, i8, struct, u16, u32, u64, u8 } from '../src/index.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('reference codec: bytes', () => {
  it.each([
    { name: 'u16 little endian', type: u16, value: 0x1234, bytes: '3412' },
    { name: 'be16 network order', type: be16, value: 0x1234, bytes: '1234' },
    { name: 'u32 little endian', type: u32, value: 0xdeadbeef, bytes: 'efbeadde' },
    { name: 'be32 network order', type: be32, value: 0x0a000001, bytes: '0a000001' },
    { name: 'u64 above 2^53', type: u64, value: (1n << 63n) + 5n, bytes: '0500000000000080' },
    { name: 'be64', type: be64, value: 0x0102030405060708n, bytes: '0102030405060708' },
    { name: 'i8 negative', type: i8, value: -2, bytes: 'fe' },
    { name: 'i16 negative', type: i16, value: -2, bytes: 'feff' },
    { name: 'i32 negative', type: i32, value: -2, bytes: 'feffffff' },
    { name: 'i64 negative', type: i64, value: -2n, bytes: 'feffffffffffffff' },
    { name: 'chars NUL-padded', type: chars(6), value: 'ab', bytes: '616200000000' },
    { name: 'chars UTF-8', type: chars(4), value: 'é', bytes: 'c3a90000' },
  ])('$name', ({ type, value, bytes }) => {
    const encoded = encodeReference(type as never, value as never);
    expect(hex(encoded)).toBe(bytes);
    expect(decodeReference(type as never, encoded)).toEqual(value);
  });

  it('writes padding as zeros, so equal keys have equal bytes', () => {
    const S = struct('S', { a: u8, b: u32, c: u8 });
    expect(hex(encodeReference(S, { a: 1, b: 2, c: 3 }))).toBe('01000000' + '02000000' + '03000000');
  });

  it('round-trips nested structs and arrays', () => {
    const P = struct('P', { x: u16, y: u64 });
    const S = struct('S', { tag: chars(8), points: arrayOf(P, 2), grid: arrayOf(arrayOf(u8, 2), 2) });
    const value = { tag: 'hi', points: [{ x: 1, y: 2n }, { x: 3, y: 4n }], grid: [[1, 2], [3, 4]] };
    expect(decodeReference(S, encodeReference(S, value))).toEqual(value);
  });

  it('decodes chars up to the first NUL', () => {
    expect(decodeReference(chars(6), new Uint8Array([0x61, 0, 0x62, 0, 0, 0]))).toBe('a');
    expect(decodeReference(chars(3), new Uint8Array([0x61, 0x62, 0x63]))).toBe('abc');
  });
});

describe('reference codec: bad values name the field at fault', () => {
  const Key = struct('FlowKey', { sport: be16, comm: chars(4), ids: arrayOf(u32, 2), bytes: u64 });
  const good = { sport: 80, comm: 'abc', ids: [1, 2], bytes: 1n };

  it.each([
    { name: 'out of range', value: { ...good, sport: 70000 }, message: 'FlowKey.sport: expected an integer in 0..65535 (u16), received 70000' },
    { name: 'not an integer', value: { ...good, sport: 1.5 }, message: 'FlowKey.sport: expected an integer in 0..65535 (u16), received 1.5' },
    { name: 'wrong type', value: { ...good, sport: '80' }, message: 'FlowKey.sport: expected an integer in 0..65535 (u16), received "80"' },
    { name: 'missing field', value: { comm: 'a', ids: [1, 2], bytes: 1n }, message: 'FlowKey.sport: expected an integer in 0..65535 (u16), received undefined' },
    { name: 'string too long', value: { ...good, comm: 'abcd' }, message: 'FlowKey.comm: expected a string of at most 3 UTF-8 bytes (char[4] keeps one byte for the NUL), received "abcd"' },
    { name: 'multi-byte string too long', value: { ...good, comm: 'éé' }, message: 'FlowKey.comm: expected a string of at most 3 UTF-8 bytes' },
    { name: 'array too short', value: { ...good, ids: [1] }, message: 'FlowKey.ids: expected an array of exactly 2 elements, received an array of length 1' },
    { name: 'array element', value: { ...good, ids: [1, -1] }, message: 'FlowKey.ids[1]: expected an integer in 0..4294967295 (u32), received -1' },
    { name: 'u64 negative', value: { ...good, bytes: -1n }, message: 'FlowKey.bytes: expected a bigint in 0..2^64-1 (u64), received -1n' },
    { name: 'u64 too large', value: { ...good, bytes: 1n << 64n }, message: 'FlowKey.bytes: expected a bigint in 0..2^64-1 (u64)' },
    { name: 'not an object', value: null, message: 'FlowKey: expected an object, received null' },
  ])('$name', ({ value, message }) => {
    expect(() => encodeReference(Key, value as never)).toThrow(EncodeError);
    expect(() => encodeReference(Key, value as never)).toThrow(message);
  });

  it('accepts a safe integer number for a u64', () => {
    expect(decodeReference(u64, encodeReference(u64, 42 as never))).toBe(42n);
  });
});
