import { describe, expect, it } from 'vitest';
import {
  anonymousStruct,
  anonymousUnion,
  arrayOf,
  be16,
  be32,
  be64,
  bits,
  bool,
  bytes,
  chars,
  decodeReference,
  encodeReference,
  EncodeError,
  enumType,
  f32,
  f64,
  i16,
  i32,
  i64,
  i8,
  ipv4,
  ipv6,
  mac,
  pad,
  struct,
  u16,
  u32,
  u64,
  u8,
  union,
} from '../src/index.js';

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
    expect(hex(encodeReference(S, { a: 1, b: 2, c: 3 }))).toBe(
      '01000000' + '02000000' + '03000000',
    );
  });

  it('round-trips nested structs and arrays', () => {
    const P = struct('P', { x: u16, y: u64 });
    const S = struct('S', {
      tag: chars(8),
      points: arrayOf(P, 2),
      grid: arrayOf(arrayOf(u8, 2), 2),
    });
    const value = {
      tag: 'hi',
      points: [
        { x: 1, y: 2n },
        { x: 3, y: 4n },
      ],
      grid: [
        [1, 2],
        [3, 4],
      ],
    };
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
    {
      name: 'out of range',
      value: { ...good, sport: 70000 },
      message: 'FlowKey.sport: expected an integer in 0..65535 (u16), received 70000',
    },
    {
      name: 'not an integer',
      value: { ...good, sport: 1.5 },
      message: 'FlowKey.sport: expected an integer in 0..65535 (u16), received 1.5',
    },
    {
      name: 'wrong type',
      value: { ...good, sport: '80' },
      message: 'FlowKey.sport: expected an integer in 0..65535 (u16), received "80"',
    },
    {
      name: 'missing field',
      value: { comm: 'a', ids: [1, 2], bytes: 1n },
      message: 'FlowKey.sport: expected an integer in 0..65535 (u16), received undefined',
    },
    {
      name: 'string too long',
      value: { ...good, comm: 'abcd' },
      message:
        'FlowKey.comm: expected a string of at most 3 UTF-8 bytes without NUL (char[4] keeps one byte for the NUL), received "abcd"',
    },
    {
      name: 'multi-byte string too long',
      value: { ...good, comm: 'éé' },
      message: 'FlowKey.comm: expected a string of at most 3 UTF-8 bytes',
    },
    {
      name: 'array too short',
      value: { ...good, ids: [1] },
      message:
        'FlowKey.ids: expected an array of exactly 2 elements, received an array of length 1',
    },
    {
      name: 'array element',
      value: { ...good, ids: [1, -1] },
      message: 'FlowKey.ids[1]: expected an integer in 0..4294967295 (u32), received -1',
    },
    {
      name: 'u64 negative',
      value: { ...good, bytes: -1n },
      message: 'FlowKey.bytes: expected a bigint in 0..2^64-1 (u64), received -1n',
    },
    {
      name: 'u64 too large',
      value: { ...good, bytes: 1n << 64n },
      message: 'FlowKey.bytes: expected a bigint in 0..2^64-1 (u64)',
    },
    {
      name: 'u64 given a number past 2^53, which prints as an integer it is not',
      value: { ...good, bytes: 2 ** 60 },
      message:
        'FlowKey.bytes: expected a bigint in 0..2^64-1 (u64), received the number 1152921504606847000, which is past 2^53 and so not exact (write a bigint: 1152921504606846976n)',
    },
    {
      name: 'string with an embedded NUL (C would cut it there)',
      value: { ...good, comm: 'a\0b' },
      message: 'FlowKey.comm: expected a string of at most 3 UTF-8 bytes without NUL',
    },
    { name: 'not an object', value: null, message: 'FlowKey: expected an object, received null' },
  ])('$name', ({ value, message }) => {
    expect(() => encodeReference(Key, value as never)).toThrow(EncodeError);
    expect(() => encodeReference(Key, value as never)).toThrow(message);
  });

  it('refuses a finite number too large for a float rather than storing Infinity', () => {
    const F = struct('F', { x: f32 });
    expect(() => encodeReference(F, { x: 1e39 })).toThrow(
      'F.x: expected a number within the f32 range (about ±3.4e38), or ±Infinity or NaN, received 1e+39',
    );
    expect(decodeReference(F, encodeReference(F, { x: Infinity }))).toEqual({ x: Infinity });
    expect(decodeReference(F, encodeReference(F, { x: 3.4e38 })).x).toBeCloseTo(3.4e38, -32);
  });

  it('accepts a safe integer number for a u64', () => {
    expect(decodeReference(u64, encodeReference(u64, 42 as never))).toBe(42n);
  });
});

describe('reference codec: every construct', () => {
  const hexOf = (type: Parameters<typeof encodeReference>[0], value: unknown) =>
    hex(encodeReference(type, value as never));

  it.each([
    { name: 'bool', type: bool, value: true, bytes: '01' },
    { name: 'f32', type: f32, value: 1.5, bytes: '0000c03f' },
    { name: 'f64', type: f64, value: -2, bytes: '00000000000000c0' },
    { name: 'ipv4 in network order', type: ipv4, value: '10.0.0.1', bytes: '0a000001' },
    {
      name: 'ipv6 canonical',
      type: ipv6,
      value: '2001:db8::1',
      bytes: '20010db8000000000000000000000001',
    },
    { name: 'mac', type: mac, value: 'aa:bb:cc:00:11:22', bytes: 'aabbcc001122' },
    { name: 'bytes', type: bytes(3), value: new Uint8Array([1, 2, 3]), bytes: '010203' },
    {
      name: 'enum by name',
      type: enumType('P', { TCP: 6, UDP: 17 }, { storage: u8 }),
      value: 'UDP',
      bytes: '11',
    },
    { name: 'u64 as number', type: u64.asNumber(), value: 2 ** 40, bytes: '0000000000010000' },
  ])('$name', ({ type, value, bytes: expectedBytes }) => {
    expect(hexOf(type as never, value)).toBe(expectedBytes);
    expect(decodeReference(type as never, encodeReference(type as never, value as never))).toEqual(
      value,
    );
  });

  it('enums decode unknown numbers to the number', () => {
    const P = enumType('P', { TCP: 6 }, { storage: u8 });
    expect(decodeReference(P, new Uint8Array([99]))).toBe(99);
    expect(decodeReference(P, encodeReference(P, 6))).toBe('TCP');
    expect(() => encodeReference(P, 'SCTP' as never)).toThrow(
      'P: expected one of TCP or an integer, received "SCTP"',
    );
  });

  it('ipv6 accepts any valid spelling and decodes to the canonical one', () => {
    expect(decodeReference(ipv6, encodeReference(ipv6, '2001:0DB8:0:0:0:0:0:0001'))).toBe(
      '2001:db8::1',
    );
    expect(decodeReference(ipv6, encodeReference(ipv6, '::ffff:10.0.0.1'))).toBe('::ffff:a00:1');
    expect(() => encodeReference(ipv6, '2001:db8::g')).toThrow(
      'expected an IPv6 address such as "2001:db8::1"',
    );
  });

  it('bitfields pack least significant bit first, unused bits zero', () => {
    const F = struct('F', { a: bits(u8, 3), b: bits(u8, 4), c: bits(i16, 5) });
    // a = 101 at bits 0-2, b = 1111 at bits 3-6, c = 11111 at bits 7-11 (its i16 unit has room).
    expect(hex(encodeReference(F, { a: 5, b: 15, c: -1 }))).toBe('fd0f');
    expect(decodeReference(F, encodeReference(F, { a: 5, b: 15, c: -1 }))).toEqual({
      a: 5,
      b: 15,
      c: -1,
    });
    expect(() => encodeReference(F, { a: 8, b: 0, c: 0 })).toThrow(
      'F.a: expected an integer in 0..7 (unsigned 3-bit field), received 8',
    );
    expect(() => encodeReference(F, { a: 0, b: 0, c: -17 })).toThrow(
      'F.c: expected an integer in -16..15 (signed 5-bit field), received -17',
    );
  });

  it('a union encodes the one member set, zeroes the rest, decodes every member', () => {
    const U = union('Addr', { v4: ipv4, v6: ipv6 });
    expect(hex(encodeReference(U, { v4: '1.2.3.4' }))).toBe('01020304' + '00'.repeat(12));
    expect(decodeReference(U, encodeReference(U, { v4: '1.2.3.4' }))).toEqual({
      v4: '1.2.3.4',
      v6: '102:304::',
    });
    expect(() => encodeReference(U, { v4: '1.2.3.4', v6: '::1' })).toThrow(
      'Addr: expected exactly one union member of v4, v6, received v4 and v6 set',
    );
    expect(() => encodeReference(U, {})).toThrow(
      'Addr: expected exactly one union member of v4, v6, received none set',
    );
  });

  it('anonymous members read and write the enclosing value', () => {
    const K = struct('K', {
      family: u8,
      u: anonymousUnion({ v4: ipv4, pair: anonymousStruct({ hi: u16, lo: u16 }) }),
    });
    expect(hex(encodeReference(K, { family: 2, hi: 1, lo: 2 }))).toBe(
      '00000000'.replace(/^00/, '02') + '01000200',
    );
    expect(decodeReference(K, encodeReference(K, { family: 2, v4: '10.0.0.1' }))).toEqual({
      family: 2,
      v4: '10.0.0.1',
      hi: 10,
      lo: 256,
    });
  });

  it('explicit padding is zero and hidden', () => {
    const P = struct('P', { a: u8, r: pad(3), b: u32 });
    expect(hex(encodeReference(P, { a: 1, b: 2 }))).toBe('01000000' + '02000000');
    expect(decodeReference(P, encodeReference(P, { a: 1, b: 2 }))).toEqual({ a: 1, b: 2 });
  });

  it('a number-mode u64 refuses to decode beyond 2^53', () => {
    const big = encodeReference(u64, 2n ** 60n);
    expect(() => decodeReference(u64.asNumber(), big)).toThrow(
      'u64.asNumber(): the kernel value 1152921504606846976 is beyond 2^53',
    );
  });
});
