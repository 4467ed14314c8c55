import { describe, expect, it } from 'vitest';
import { arrayOf, be16, be32, chars, i16, i8, struct, u16, u32, u64, u8, type CType, type Slot } from '../src/index.js';

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
  { name: 'packed by nature', fields: { a: u32, b: u32 }, size: 8, align: 4, offsets: { a: 0, b: 4 }, padding: [] },
  { name: 'field padding', fields: { a: u8, b: u32 }, size: 8, align: 4, offsets: { a: 0, b: 4 }, padding: [[1, 3]] },
  { name: 'tail padding', fields: { a: u32, b: u8 }, size: 8, align: 4, offsets: { a: 0, b: 4 }, padding: [[5, 3]] },
  { name: 'u64 after u8', fields: { a: u8, b: u64 }, size: 16, align: 8, offsets: { a: 0, b: 8 }, padding: [[1, 7]] },
  { name: 'nested struct', fields: { x: u8, inner: Inner, y: u16 }, size: 16, align: 4, offsets: { x: 0, inner: 4, y: 12 }, padding: [[1, 3], [14, 2]] },
  { name: 'array then u64', fields: { a: arrayOf(u8, 3), b: u64 }, size: 16, align: 8, offsets: { a: 0, b: 8 }, padding: [[3, 5]] },
  { name: 'array of structs', fields: { items: arrayOf(Inner, 2), n: u8 }, size: 20, align: 4, offsets: { items: 0, n: 16 }, padding: [[17, 3]] },
  { name: 'chars are byte aligned', fields: { comm: chars(5), pid: u32 }, size: 12, align: 4, offsets: { comm: 0, pid: 8 }, padding: [[5, 3]] },
  { name: 'network order types align like their size', fields: { addr: be32, port: be16 }, size: 8, align: 4, offsets: { addr: 0, port: 4 }, padding: [[6, 2]] },
  { name: 'signed types', fields: { a: i8, b: i16 }, size: 4, align: 2, offsets: { a: 0, b: 2 }, padding: [[1, 1]] },
  { name: 'flow key 5-tuple', fields: { saddr: be32, daddr: be32, sport: be16, dport: be16, proto: u8 }, size: 16, align: 4, offsets: { saddr: 0, daddr: 4, sport: 8, dport: 10, proto: 12 }, padding: [[13, 3]] },
];

describe('struct layout', () => {
  it.each(cases)('$name', (c) => {
    const s = struct('T', c.fields);
    expect(s.size).toBe(c.size);
    expect(s.align).toBe(c.align);
    expect(s.layout.offsets).toEqual(c.offsets);
    const padding = s.layout.slots.filter((slot: Slot) => slot.kind === 'padding').map((slot) => [slot.offset, slot.size]);
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

  it('names padding members so they never collide with fields', () => {
    const s = struct('T', { a: u8, b: u32, c: u8 });
    expect(s.layout.slots.map((slot) => (slot.kind === 'bitfields' ? slot.names.join() : slot.name))).toEqual(['a', '__pad0', 'b', 'c', '__pad1']);
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
