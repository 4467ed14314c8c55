/**
 * Opening a map compares its key and value types with the schema's, down to
 * every member of every nested struct: each difference that would decode
 * garbage is refused with its path, and a right schema (or a faithful view,
 * such as bytes of the same size) is never refused. One table, one program.
 */
import {
  arrayOf,
  be16,
  bits,
  bytes,
  chars,
  enumType,
  f64,
  hash,
  i32,
  struct,
  u16,
  u32,
  u64,
  type CType,
  type Fields,
} from '@bpfmaps/schema';
import { compileBpf, describeWith } from '@bpfmaps/testing';
import { expect, it } from 'vitest';
import { BpfObject, mapTypeOf } from '../src/index.js';
import { thrown } from './helpers.js';

const PROGRAM = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pair { __u32 a; __u32 b; };
enum color { RED = 1, GREEN = 2 };

struct value {
	__u64 count;
	__u32 slots[26];
	struct pair pair;
	__be16 port;
	char comm[16];
	enum color color;
	__u32 lo : 4, hi : 28;
	__s32 delta;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct value);
} by_pid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, struct pair);
	__type(value, __u64);
} by_pair SEC(".maps");

SEC("xdp")
int pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

const Pair = struct('Pair', { a: u32, b: u32 });
const Color = enumType('Color', { RED: 1, GREEN: 2 }, { prefix: '' });
const RIGHT: Fields = {
  count: u64,
  slots: arrayOf(u32, 26),
  pair: Pair,
  port: be16,
  comm: chars(16),
  color: Color,
  lo: bits(u32, 4),
  hi: bits(u32, 28),
  delta: i32,
};
const value = (changes: Fields) => struct('Value', { ...RIGHT, ...changes });

interface Case {
  name: string;
  map: 'by_pid' | 'by_pair';
  key: CType<unknown>;
  value: CType<unknown>;
  /** What the error says; none: the schema opens. */
  says?: string[];
}

const CASES: Case[] = [
  { name: 'the right schema', map: 'by_pid', key: u32, value: value({}) },
  {
    name: 'bytes of the same size read any member faithfully',
    map: 'by_pid',
    key: u32,
    value: value({ comm: bytes(16), pair: bytes(8) }),
  },
  { name: 'the right scalar value and struct key', map: 'by_pair', key: Pair, value: u64 },
  {
    name: 'a u64 declared f64',
    map: 'by_pid',
    key: u32,
    value: value({ count: f64 }),
    says: ['value.count: schema says double, BTF says __u64'],
  },
  {
    name: 'u32[26] declared u64[13] (the same size)',
    map: 'by_pid',
    key: u32,
    value: value({ slots: arrayOf(u64, 13) }),
    says: ['value.slots: schema says __u64[13], BTF says __u32[26]'],
  },
  {
    name: 'two fields of a nested named struct swapped',
    map: 'by_pid',
    key: u32,
    value: value({ pair: struct('Pair', { b: u32, a: u32 }) }),
    says: [
      'value.pair.b: schema says offset 0, BTF says offset 4',
      'value.pair.a: schema says offset 4, BTF says offset 0',
    ],
  },
  {
    name: 'a __be16 declared in host order',
    map: 'by_pid',
    key: u32,
    value: value({ port: u16 }),
    says: [
      'value.port: schema says __u16 (host byte order), BTF says __be16 (network byte order): use be16',
    ],
  },
  {
    name: 'a signed field declared unsigned',
    map: 'by_pid',
    key: u32,
    value: value({ delta: u32 }),
    says: ['value.delta: schema says unsigned __u32, BTF says signed __s32'],
  },
  {
    name: 'an enum constant with another value',
    map: 'by_pid',
    key: u32,
    value: value({ color: enumType('Color', { RED: 1, GREEN: 3 }, { prefix: '' }) }),
    says: ['value.color: schema says GREEN = 3, BTF says GREEN = 2'],
  },
  {
    name: 'a bitfield one bit narrower',
    map: 'by_pid',
    key: u32,
    value: value({ hi: bits(u32, 27) }),
    says: ['value.hi: schema says bit 1156 (27 bits), BTF says bit 1156 (28 bits)'],
  },
  {
    name: 'a scalar key of the other signedness',
    map: 'by_pid',
    key: i32,
    value: value({}),
    says: ['key: schema says signed __s32, BTF says unsigned __u32'],
  },
  {
    name: 'a scalar value declared as a struct',
    map: 'by_pair',
    key: Pair,
    value: struct('Wrapped', { n: u64 }),
    says: ['value: schema says struct wrapped, BTF says __u64'],
  },
  {
    name: 'a struct key declared as a scalar',
    map: 'by_pair',
    key: u64,
    value: u64,
    says: ['key: schema says __u64, BTF says struct pair'],
  },
];

describeWith(['bpf', 'clang', 'libbpf-headers'], 'types compared at open', () => {
  const path = compileBpf(PROGRAM);

  it.each(CASES)('$name', ({ map, key, value: v, says }) => {
    using obj = BpfObject.load(path);
    const open = () => mapTypeOf(hash(map, { key, value: v, maxEntries: 8 })).open(obj.map(map));
    if (!says) {
      open().close();
      return;
    }
    const e = thrown(open);
    expect(e.code).toBe('INCOMPATIBLE');
    expect(e.message).toContain(
      `open map ${map} from object ${path}: layout differs from the schema (`,
    );
    for (const text of says) expect(e.message).toContain(text);
    // Nothing else is reported: each difference is named once, at its own path.
    const listed = /\((.*)\)\. If the schema changed/.exec(e.message)![1]!.split('; ');
    expect(listed).toEqual(says);
  });
});
