import { describe, expect, it } from 'vitest';
import {
  anonymousStruct,
  anonymousUnion,
  arrayOf,
  be16,
  be32,
  bits,
  bool,
  bytes,
  chars,
  enumType,
  f32,
  f64,
  i16,
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
  type CType,
  type Slot,
} from '../src/index.js';

const Inner = struct('Inner', { a: u8, b: u32 });

interface Case {
  name: string;
  fields: Record<string, CType<any>>;
  size: number;
  align: number;
  offsets: Record<string, number>;
  /** Padding as [offset, size] pairs. */
  padding: [number, number][];
}

// Each expectation is what clang computes for the same struct on -target bpf
// and x86-64 (the clang tests in @bpfmaps/codegen check the header says so).
const cases: Case[] = [
  {
    name: 'packed by nature',
    fields: { a: u32, b: u32 },
    size: 8,
    align: 4,
    offsets: { a: 0, b: 4 },
    padding: [],
  },
  {
    name: 'field padding',
    fields: { a: u8, b: u32 },
    size: 8,
    align: 4,
    offsets: { a: 0, b: 4 },
    padding: [[1, 3]],
  },
  {
    name: 'tail padding',
    fields: { a: u32, b: u8 },
    size: 8,
    align: 4,
    offsets: { a: 0, b: 4 },
    padding: [[5, 3]],
  },
  {
    name: 'u64 after u8',
    fields: { a: u8, b: u64 },
    size: 16,
    align: 8,
    offsets: { a: 0, b: 8 },
    padding: [[1, 7]],
  },
  {
    name: 'nested struct',
    fields: { x: u8, inner: Inner, y: u16 },
    size: 16,
    align: 4,
    offsets: { x: 0, inner: 4, y: 12 },
    padding: [
      [1, 3],
      [14, 2],
    ],
  },
  {
    name: 'array then u64',
    fields: { a: arrayOf(u8, 3), b: u64 },
    size: 16,
    align: 8,
    offsets: { a: 0, b: 8 },
    padding: [[3, 5]],
  },
  {
    name: 'array of structs',
    fields: { items: arrayOf(Inner, 2), n: u8 },
    size: 20,
    align: 4,
    offsets: { items: 0, n: 16 },
    padding: [[17, 3]],
  },
  {
    name: 'chars are byte aligned',
    fields: { comm: chars(5), pid: u32 },
    size: 12,
    align: 4,
    offsets: { comm: 0, pid: 8 },
    padding: [[5, 3]],
  },
  {
    name: 'network order types align like their size',
    fields: { addr: be32, port: be16 },
    size: 8,
    align: 4,
    offsets: { addr: 0, port: 4 },
    padding: [[6, 2]],
  },
  {
    name: 'signed types',
    fields: { a: i8, b: i16 },
    size: 4,
    align: 2,
    offsets: { a: 0, b: 2 },
    padding: [[1, 1]],
  },
  {
    name: 'flow key 5-tuple',
    fields: { saddr: be32, daddr: be32, sport: be16, dport: be16, proto: u8 },
    size: 16,
    align: 4,
    offsets: { saddr: 0, daddr: 4, sport: 8, dport: 10, proto: 12 },
    padding: [[13, 3]],
  },
];

describe('struct layout', () => {
  it.each(cases)('$name', (c) => {
    const s = struct('T', c.fields);
    expect(s.size).toBe(c.size);
    expect(s.align).toBe(c.align);
    expect(s.layout.offsets).toEqual(c.offsets);
    const padding = s.layout.slots
      .filter((slot: Slot) => slot.kind === 'padding')
      .map((slot) => [slot.offset, slot.size]);
    expect(padding).toEqual(c.padding);
  });

  it('accounts for every byte exactly once', () => {
    for (const c of cases) {
      const s = struct('T', c.fields);
      let cursor = 0;
      for (const slot of s.layout.slots) {
        expect(slot.offset, c.name).toBe(cursor);
        cursor += slot.size;
      }
      expect(cursor, c.name).toBe(s.size);
    }
  });

  it('accounts for every byte: members and padding in offset order', () => {
    const s = struct('T', { a: u8, b: u32, c: u8 });
    expect(
      s.layout.slots.map((slot) => `${slot.kind}:${slot.names.join()}@${slot.offset}+${slot.size}`),
    ).toEqual(['member:a@0+1', 'padding:@1+3', 'member:b@4+4', 'member:c@8+1', 'padding:@9+3']);
  });

  it('names padding so it never collides with fields, uniquely per C scope', () => {
    const s = struct('T', { a: u8, b: u32, c: u8 });
    expect(s.cBody().filter((l) => l.includes('padding'))).toEqual([
      '__u8 __pad0[3]; /* offset 1: padding */',
      '__u8 __pad1[3]; /* offset 9: padding */',
    ]);
  });

  it('derives the C tag from the name, or takes one given', () => {
    expect(struct('FlowKey', { a: u8 }).cName).toBe('flow_key');
    expect(struct('HTTPRequest', { a: u8 }).cName).toBe('http_request');
    expect(struct('Ipv4Key', { a: u8 }).cName).toBe('ipv4_key');
    expect(struct('FlowKey', { a: u8 }, { cName: 'fk' }).cName).toBe('fk');
  });

  it('spells C declarators for every type', () => {
    expect(u32.cDeclare('x')).toBe('__u32 x');
    expect(be16.cDeclare('port')).toBe('__be16 port');
    expect(chars(16).cDeclare('comm')).toBe('char comm[16]');
    expect(arrayOf(arrayOf(u8, 4), 2).cDeclare('m')).toBe('__u8 m[2][4]');
    expect(Inner.cDeclare('in')).toBe('struct inner in');
    expect(arrayOf(u8, 16).cTypeName()).toBe('__u8 [16]');
  });
});

describe('layout of every construct', () => {
  const cases = [
    {
      name: 'bitfields share a unit',
      s: () => struct('T', { a: bits(u32, 3), b: bits(u32, 5), c: u8 }),
      size: 4,
      align: 4,
      bitOffsets: { a: 0, b: 3 },
      offsets: { c: 1 },
    },
    {
      name: 'bitfield straddling moves to the next unit',
      s: () => struct('T', { a: bits(u8, 6), b: bits(u8, 4) }),
      size: 2,
      align: 1,
      bitOffsets: { a: 0, b: 8 },
      offsets: {},
    },
    {
      name: 'wider unit lets bits cross bytes',
      s: () => struct('T', { a: bits(u16, 6), b: bits(u16, 4) }),
      size: 2,
      align: 2,
      bitOffsets: { a: 0, b: 6 },
      offsets: {},
    },
    {
      name: 'zero-width bitfield starts a new unit',
      s: () => struct('T', { a: bits(u32, 1), z: bits(u32, 0), b: bits(u32, 1) }),
      size: 8,
      align: 4,
      bitOffsets: { a: 0, z: 32, b: 32 },
      offsets: {},
    },
    {
      // Found by the property test (seed 280867204): the header left the separator out, and
      // clang packed the next bitfield into the byte the wider one left half used.
      name: 'zero-width bitfield right after a bitfield that ends inside a byte',
      s: () => struct('T', { f0: u8, f1: bits(u64, 18), z: bits(u32, 0), f3: bits(u8, 3), f4: u8 }),
      size: 8,
      align: 8,
      bitOffsets: { f1: 8, z: 32, f3: 32 },
      offsets: { f0: 0, f4: 5 },
    },
    {
      name: 'bitfield after a member shares its unit',
      s: () => struct('T', { a: u8, b: bits(u32, 4) }),
      size: 4,
      align: 4,
      bitOffsets: { b: 8 },
      offsets: { a: 0 },
    },
    {
      name: 'packed bitfields straddle freely',
      s: () => struct('T', { a: bits(u8, 6), b: bits(u8, 4) }, { packed: true }),
      size: 2,
      align: 1,
      bitOffsets: { a: 0, b: 6 },
      offsets: {},
    },
    {
      name: 'signed bitfield',
      s: () => struct('T', { a: bits(i16, 9), b: u8 }),
      size: 4,
      align: 2,
      bitOffsets: { a: 0 },
      offsets: { b: 2 },
    },
    {
      name: '64-bit bitfield',
      s: () => struct('T', { a: u8, b: bits(u64, 40) }),
      size: 8,
      align: 8,
      bitOffsets: { b: 8 },
      offsets: { a: 0 },
    },
    {
      name: 'packed struct',
      s: () => struct('T', { a: u8, b: u64, c: u16 }, { packed: true }),
      size: 11,
      align: 1,
      bitOffsets: {},
      offsets: { a: 0, b: 1, c: 9 },
    },
    {
      name: 'aligned struct',
      s: () => struct('T', { a: u32 }, { align: 16 }),
      size: 16,
      align: 16,
      bitOffsets: {},
      offsets: { a: 0 },
    },
    {
      name: 'packed and aligned',
      s: () => struct('T', { a: u8, b: u32 }, { packed: true, align: 4 }),
      size: 8,
      align: 4,
      bitOffsets: {},
      offsets: { a: 0, b: 1 },
    },
    {
      name: 'union: largest member, widest alignment',
      s: () => union('T', { a: u8, b: u64, c: chars(12) }),
      size: 16,
      align: 8,
      bitOffsets: {},
      offsets: { a: 0, b: 0, c: 0 },
    },
    {
      name: 'packed union',
      s: () => union('T', { a: u8, b: u32 }, { packed: true }),
      size: 4,
      align: 1,
      bitOffsets: {},
      offsets: { a: 0, b: 0 },
    },
    {
      name: 'anonymous union in a struct',
      s: () => struct('T', { f: u8, u: anonymousUnion({ v4: ipv4, v6: ipv6 }), p: u16 }),
      size: 24,
      align: 4,
      bitOffsets: {},
      offsets: { f: 0, u: 4, p: 20 },
    },
    {
      name: 'enum stored in u8',
      s: () => struct('T', { p: enumType('P', { A: 1 }, { storage: u8 }), n: u16 }),
      size: 4,
      align: 2,
      bitOffsets: {},
      offsets: { p: 0, n: 2 },
    },
    {
      name: 'enum stored as int',
      s: () => struct('T', { a: u8, p: enumType('P', { A: 1 }) }),
      size: 8,
      align: 4,
      bitOffsets: {},
      offsets: { a: 0, p: 4 },
    },
    {
      name: 'bool, floats',
      s: () => struct('T', { b: bool, f: f32, d: f64 }),
      size: 16,
      align: 8,
      bitOffsets: {},
      offsets: { b: 0, f: 4, d: 8 },
    },
    {
      name: 'semantic types',
      s: () => struct('T', { m: mac, a: ipv4, six: ipv6 }),
      size: 28,
      align: 4,
      bitOffsets: {},
      offsets: { m: 0, a: 8, six: 12 },
    },
    {
      name: 'explicit pad and bytes',
      s: () => struct('T', { a: u8, r: pad(3), b: bytes(5), c: u32 }),
      size: 16,
      align: 4,
      bitOffsets: {},
      offsets: { a: 0, r: 1, b: 4, c: 12 },
    },
    {
      name: 'u64 as number keeps its layout',
      s: () => struct('T', { a: u8, n: u64.asNumber() }),
      size: 16,
      align: 8,
      bitOffsets: {},
      offsets: { a: 0, n: 8 },
    },
  ];

  it.each(cases)('$name', (c) => {
    const s = c.s();
    expect(s.size).toBe(c.size);
    expect(s.align).toBe(c.align);
    for (const [name, offset] of Object.entries(c.offsets))
      expect(s.layout.offsets[name], name).toBe(offset);
    const bitOffsets = Object.fromEntries(
      s.layout.placements.filter((p) => p.bits !== undefined).map((p) => [p.name, p.bitOffset]),
    );
    expect(bitOffsets).toEqual(c.bitOffsets);
  });

  it('anonymous members are inlined with absolute offsets', () => {
    const s = struct('T', {
      f: u8,
      u: anonymousUnion({ v4: ipv4, both: anonymousStruct({ hi: u16, lo: u16 }) }),
    });
    expect(s.flatMembers().map((m) => [m.name, m.offset, m.optional])).toEqual([
      ['f', 0, false],
      ['v4', 4, true],
      ['hi', 4, true],
      ['lo', 6, true],
    ]);
  });
});
