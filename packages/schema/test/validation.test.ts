import { describe, expect, it } from 'vitest';
import {
  anonymousStruct,
  anonymousUnion,
  array,
  arrayOf,
  be16,
  bits,
  bloomFilter,
  catalog,
  chars,
  enumType,
  hash,
  lpmTrie,
  mapFlags,
  pad,
  percpuHash,
  percpuArray,
  lruHash,
  SchemaError,
  spinLock,
  queue,
  progArray,
  hashOfMaps,
  arrayOfMaps,
  struct,
  u16,
  u32,
  u64,
  u8,
  union,
} from '../src/index.js';
import { error } from './errors.js';

const Key = struct('Key', { id: u32 });

describe('schema validation', () => {
  it.each([
    {
      name: 'unknown type (undefined import)',
      fn: () => struct('FlowKey', { sport: undefined as never }),
      code: 'UNKNOWN_TYPE',
      message:
        'FlowKey.sport: unknown type: undefined (is the type imported from @bpfmaps/schema?)',
    },
    {
      name: 'unknown type (a string)',
      fn: () => struct('FlowKey', { sport: 'u16' as never }),
      code: 'UNKNOWN_TYPE',
      message: 'FlowKey.sport: unknown type: the string "u16"',
    },
    {
      name: 'invalid field name',
      fn: () => struct('FlowKey', { 'src-port': u8 }),
      code: 'INVALID_NAME',
      message: 'FlowKey.src-port: field name "src-port" is not a valid C identifier',
    },
    {
      name: 'reserved field name',
      fn: () => struct('FlowKey', { int: u8 }),
      code: 'RESERVED_NAME',
      message: 'FlowKey.int: field name "int" is a reserved word in C',
    },
    {
      name: 'a field named linux, which GNU C predefines as 1',
      fn: () => struct('FlowKey', { linux: u8 }),
      code: 'RESERVED_NAME',
      message:
        'FlowKey.linux: field name "linux" is a macro C compilers predefine in GNU mode (linux is 1 there)',
    },
    {
      name: 'a struct named unix',
      fn: () => struct('unix', { a: u8 }),
      code: 'RESERVED_NAME',
      message: 'struct name "unix" is a macro C compilers predefine',
    },
    {
      name: 'field name like padding',
      fn: () => struct('FlowKey', { __pad0: u8 }),
      code: 'RESERVED_NAME',
      message: 'starts with "__"',
    },
    {
      name: 'invalid struct name',
      fn: () => struct('2Key', { a: u8 }),
      code: 'INVALID_NAME',
      message: '2Key: struct name "2Key" is not a valid C identifier',
    },
    {
      name: 'empty struct',
      fn: () => struct('Empty', {}),
      code: 'EMPTY_STRUCT',
      message: 'Empty: a struct needs at least one field',
    },
    {
      name: 'chars too small',
      fn: () => chars(1),
      code: 'INVALID_SIZE',
      message: 'chars(1): a char array needs a whole size of at least 2',
    },
    {
      name: 'array of zero',
      fn: () => arrayOf(u8, 0),
      code: 'INVALID_SIZE',
      message: 'arrayOf(u8, 0): an array needs a whole length of at least 1',
    },
    {
      name: 'map name too long',
      fn: () => hash('a_very_long_map_name', { key: Key, value: Key, maxEntries: 1 }),
      code: 'INVALID_MAP',
      message: 'map a_very_long_map_name: the name is 20 characters; the kernel keeps at most 15',
    },
    {
      name: 'map name invalid',
      fn: () => hash('my-map', { key: Key, value: Key, maxEntries: 1 }),
      code: 'INVALID_NAME',
      message: 'map my-map: map name "my-map" is not a valid C identifier',
    },
    {
      name: 'map value not a type',
      fn: () => hash('m', { key: Key, value: {} as never, maxEntries: 1 }),
      code: 'UNKNOWN_TYPE',
      message: 'map m.value: value is not a bpfmaps type',
    },
    {
      name: 'zero max entries',
      fn: () => hash('m', { key: Key, value: Key, maxEntries: 0 }),
      code: 'INVALID_MAP',
      message: 'map m.maxEntries: maxEntries must be a whole number in 1..4294967295, received 0',
    },
    {
      name: 'key too large',
      fn: () =>
        hash('m', { key: struct('Big', { b: arrayOf(u8, 600) }), value: Key, maxEntries: 1 }),
      code: 'INVALID_SIZE',
      message: 'map m.key: key Big is 600 bytes; the kernel accepts at most 512',
    },
    {
      name: 'bitfield wider than its type',
      fn: () => struct('FlowKey', { flags: bits(u8, 9) }),
      code: 'INVALID_SIZE',
      message: 'FlowKey.flags: bits(u8, 9) is wider than its type: a u8 bitfield is 0..8 bits',
    },
    {
      name: 'bitfield in a byte-order type',
      fn: () => bits(be16 as never, 3),
      code: 'INVALID_TYPE',
      message: 'bits(be16, 3): a bitfield is stored in a host-order integer',
    },
    {
      name: 'bitfield in a union',
      fn: () => union('U', { a: bits(u8, 3) }),
      code: 'INVALID_TYPE',
      message: 'U.a: a union cannot hold a bitfield',
    },
    {
      name: 'array of bitfields',
      fn: () => arrayOf(bits(u8, 3), 2),
      code: 'INVALID_TYPE',
      message:
        'arrayOf(bits(u8, 3), 2): bits(u8, 3) is a bitfield: it only exists as a direct member of a struct',
    },
    {
      name: 'only zero-width bitfields',
      fn: () => struct('Z', { a: bits(u32, 0) }),
      code: 'EMPTY_STRUCT',
      message: 'Z: a struct of only zero-width bitfields has no bytes',
    },
    {
      name: 'duplicate name through an anonymous union',
      fn: () => struct('FlowKey', { addr: u32, u: anonymousUnion({ addr: u32, v6: u64 }) }),
      code: 'DUPLICATE_NAME',
      message: 'FlowKey.addr: "addr" is declared twice',
    },
    {
      name: 'duplicate name through nested anonymous members',
      fn: () =>
        struct('K', { x: u8, u: anonymousUnion({ a: u8, s: anonymousStruct({ x: u16 }) }) }),
      code: 'DUPLICATE_NAME',
      message: 'K.x',
    },
    {
      name: 'number-mode u64 in a union',
      fn: () => union('U', { a: u64.asNumber(), b: u32 }),
      code: 'INVALID_TYPE',
      message: 'U.a: u64.asNumber() cannot be in a union',
    },
    {
      name: 'padding as a union member',
      fn: () => union('U', { a: u8, r: pad(2) }),
      code: 'INVALID_TYPE',
      message: 'U.r: a union member made only of padding can never be the one set',
    },
    {
      name: 'aligned not a power of two',
      fn: () => struct('A', { a: u8 }, { align: 3 }),
      code: 'INVALID_TYPE',
      message: 'A.align: aligned(3) must be a power of two',
    },
    {
      name: 'enum value too big for its storage',
      fn: () => enumType('Proto', { TCP: 6, BIG: 300 }, { storage: u8 }),
      code: 'INVALID_SIZE',
      message: "Proto.BIG: value 300 does not fit the enum's storage u8",
    },
    {
      name: 'enum member not an identifier',
      fn: () => enumType('Proto', { 'tcp-v4': 1 }),
      code: 'INVALID_NAME',
      message: 'Proto.tcp-v4: enum member "tcp-v4" is not a valid C identifier',
    },
    {
      name: 'counter on a network-order type',
      fn: () => (be16 as unknown as { counter(): unknown }).counter(),
      code: 'INVALID_TYPE',
      message: 'be16: a counter must be in host byte order',
    },
    {
      name: 'LPM key without a prefix length',
      fn: () =>
        lpmTrie('cidrs', {
          key: struct('C', { addr: u32 }),
          value: u8,
          maxEntries: 8,
          flags: mapFlags.noPrealloc,
        }),
      code: 'INVALID_MAP',
      message:
        'map cidrs.key: an LPM trie key must be a struct that starts with a u32 prefix length',
    },
    {
      name: 'LPM without no-prealloc',
      fn: () =>
        lpmTrie('cidrs', {
          key: struct('C', { prefixlen: u32, addr: u32 }),
          value: u8,
          maxEntries: 8,
        }),
      code: 'INVALID_MAP',
      message:
        'map cidrs.flags: lpmTrie maps must be created with noPrealloc. Add flags: mapFlags.noPrealloc',
    },
    {
      name: 'per-CPU value too large',
      fn: () => percpuHash('big', { key: u32, value: arrayOf(u8, 40000), maxEntries: 1 }),
      code: 'INVALID_SIZE',
      message:
        'map big.value: value arrayOf(u8, 40000) is 40000 bytes; percpuHash maps hold at most 32768',
    },
    {
      name: 'program array as an inner map',
      fn: () => arrayOfMaps('am', { inner: progArray('p', { maxEntries: 2 }), maxEntries: 2 }),
      code: 'INVALID_MAP',
      message: 'map am.inner: a progArray map cannot be an inner map',
    },
    {
      name: 'queue as an inner map',
      fn: () =>
        hashOfMaps('hm', {
          key: u32,
          inner: queue('q', { value: u32, maxEntries: 2 }),
          maxEntries: 2,
        }),
      code: 'INVALID_MAP',
      message: 'map hm.inner: a queue map cannot be an inner map',
    },
    {
      name: 'a flag the kind does not take',
      fn: () => hash('h', { key: u32, value: u32, maxEntries: 2, flags: mapFlags.mmapable }),
      code: 'INVALID_MAP',
      message: 'map h.flags: hash maps do not take mmapable',
    },
    {
      name: 'contradictory flags',
      fn: () =>
        hash('h', {
          key: u32,
          value: u32,
          maxEntries: 2,
          flags: mapFlags.rdonly | mapFlags.wronly,
        }),
      code: 'INVALID_MAP',
      message: 'map h.flags: rdonly and wronly cannot be combined',
    },
    ...(
      [
        ['u8', u8, 1],
        ['u16', u16, 2],
      ] as const
    ).map(([label, type, size]) => ({
      name: `a ${label} counter in a hash value (atomic adds take 4 or 8 bytes)`,
      fn: () =>
        hash('h', {
          key: u32,
          value: struct('Small', { n: type.counter(), m: u32 }),
          maxEntries: 2,
        }),
      code: 'INVALID_TYPE',
      message: `Small.n: a counter of ${size} byte${size === 1 ? '' : 's'}: the header adds to counters atomically, which BPF does on 4 and 8 bytes only`,
    })),
    {
      name: 'a counter misaligned in a packed value',
      fn: () =>
        hash('h', {
          key: u32,
          value: struct('Packed', { tag: u8, n: u64.counter() }, { packed: true }),
          maxEntries: 2,
        }),
      code: 'INVALID_TYPE',
      message: 'Packed.n: a counter at byte 1, not aligned to its 8 bytes (a packed struct?)',
    },
    ...(['lruHash', 'percpuHash', 'percpuArray'] as const).map((kind) => ({
      name: `a spinLock in a ${kind} value (the kernel allows it in hashes and arrays only)`,
      fn: () =>
        (
          ({ lruHash, percpuHash, percpuArray }) as Record<string, (n: string, o: never) => unknown>
        )[kind]!('h', {
          key: u32,
          value: struct('Locked', { lock: spinLock, n: u64 }),
          maxEntries: 2,
        } as never),
      code: 'INVALID_TYPE',
      message: `map h.value: Locked holds a spinLock, which the kernel allows only in hash and array values (a ${kind} is refused with EOPNOTSUPP)`,
    })),
    {
      name: 'two spinLocks in a value',
      fn: () =>
        hash('h', { key: u32, value: struct('Two', { a: spinLock, b: spinLock }), maxEntries: 2 }),
      code: 'INVALID_TYPE',
      message: 'map h.value: Two holds more than one spinLock',
    },
    {
      name: 'a spinLock beside a bitfield off a byte boundary (the kernel refuses such BTF)',
      fn: () =>
        hash('h', {
          key: u32,
          value: struct('Locked', {
            lock: spinLock,
            inner: struct('Flags', { on: bits(u32, 1), rest: bits(u32, 31) }),
          }),
          maxEntries: 2,
        }),
      code: 'INVALID_TYPE',
      message:
        'map h.value: Locked holds a spinLock and a bitfield that does not start on a byte (Locked.inner.rest at bit 33); the kernel refuses the BTF of such a value, and without BTF it cannot find the lock. Start every bitfield on a byte',
    },
    {
      name: 'enum members with one value',
      fn: () => enumType('E', { A: 1, B: 1 }),
      code: 'DUPLICATE_NAME',
      message: 'E.B: B and A both have the value 1',
    },
    {
      name: 'packed that is not a boolean',
      fn: () => struct('P', { a: u8 }, { packed: 'yes' as never }),
      code: 'INVALID_TYPE',
      message: 'P.packed: packed must be true or false, received "yes"',
    },
    {
      name: 'bloom filter hash count',
      fn: () => bloomFilter('seen', { value: u32, maxEntries: 8, hashes: 16 }),
      code: 'INVALID_MAP',
      message: 'map seen.hashes: a bloom filter uses 1..15 hash functions, received 16',
    },
    {
      name: 'invalid pinning',
      fn: () => hash('m', { key: Key, value: Key, maxEntries: 1, pinning: 'always' as never }),
      code: 'INVALID_MAP',
      message: 'map m.pinning: pinning must be "none" or "byName"',
    },
    {
      name: 'export that is not a boolean',
      fn: () => hash('m', { key: Key, value: Key, maxEntries: 1, export: 1 as never }),
      code: 'INVALID_MAP',
      message: 'map m.export: export must be true or false, received 1',
    },
    ...(
      [
        ['queue', () => queue('q', { value: u32, maxEntries: 4, export: true })],
        ['progArray', () => progArray('p', { maxEntries: 4, export: true })],
        [
          'hashOfMaps',
          () =>
            hashOfMaps('o', {
              key: u32,
              inner: hash('i', { key: u32, value: u32, maxEntries: 1 }),
              maxEntries: 4,
              export: true,
            }),
        ],
      ] as const
    ).map(([kind, fn]) => ({
      name: `export: true on a ${kind} map`,
      fn,
      code: 'INVALID_MAP',
      message: `.export: a ${kind} map has no entries of keys and values to serve as metrics`,
    })),
    {
      name: 'padding as a map value',
      fn: () => hash('m', { key: Key, value: pad(4), maxEntries: 1 }),
      code: 'INVALID_TYPE',
      message: 'map m.value: pad(4) is padding: it only exists inside a struct',
    },
  ])('$name', ({ fn, code, message }) => {
    const e = error(fn);
    expect(e.code).toBe(code);
    expect(e.message).toContain(message);
  });

  it('array maps have u32 keys', () => {
    const m = array('counts', { value: Key, maxEntries: 4 });
    expect(m.key?.size).toBe(4);
    expect(m.spec.keySize).toBe(4);
    expect(m.kind.cType).toBe('BPF_MAP_TYPE_ARRAY');
  });
});

describe('schema-wide validation (catalog)', () => {
  const m = (key: unknown, name = 'm') =>
    hash(name, { key: key as never, value: u8, maxEntries: 1 });

  it('two structs with one C name but different layouts', () => {
    const e = error(() =>
      catalog(
        { a: m(struct('Key', { x: u8 }), 'a'), b: m(struct('Key', { x: u16 }), 'b') },
        'maps.schema.ts',
      ),
    );
    expect(e.code).toBe('CONFLICTING_STRUCT');
    expect(e.message).toBe(
      'Key: two different declarations are both called Key (struct key { x: u8 } vs struct key { x: u16 }). Rename one of them, or use the same declaration in both places',
    );
  });

  it('a struct and a union with one C tag', () => {
    const e = error(() =>
      catalog(
        {
          a: m(struct('Addr', { x: u8 }), 'a'),
          b: m(union('Other', { x: u8 }, { cName: 'addr' }), 'b'),
        },
        's.ts',
      ),
    );
    expect(e.message).toContain('both called addr in C');
  });

  it('the same declaration used twice is fine, and so is an identical copy', () => {
    const K = struct('Key', { x: u8 });
    const c = catalog({ a: m(K, 'a'), b: m(K, 'b'), c: m(struct('Key', { x: u8 }), 'c') }, 's.ts');
    expect(c.composites.map((s) => s.name)).toEqual(['Key']);
  });

  it('two maps with one name', () => {
    const e = error(() => catalog({ first: m(Key, 'flows'), second: m(Key, 'flows') }, 's.ts'));
    expect(e.code).toBe('DUPLICATE_NAME');
    expect(e.message).toBe(
      'map flows: export first and export second both declare a map named "flows". Give each map its own name',
    );
  });

  it('enum constants that collide in C', () => {
    const A = enumType('A', { B_C: 1 });
    const AB = enumType('A_B', { C: 2 }, { cName: 'a_b' });
    const S = struct('S', { a: A, b: AB });
    const e = error(() => catalog({ m: m(S, 'm') }, 's.ts'));
    expect(e.code).toBe('DUPLICATE_NAME');
    expect(e.message).toBe(
      'A_B.C: its C constant A_B_C is also the constant of A.B_C. Rename the member or give one enum another cName',
    );
  });

  it('no maps at all', () => {
    expect(error(() => catalog({ Key }, 'maps.schema.ts')).message).toContain(
      'maps.schema.ts: no map or globals declarations are exported',
    );
  });

  it('orders enums first and every struct after the ones it contains', () => {
    const P = enumType('Proto', { TCP: 6 }, { storage: u8 });
    const Inner = struct('Inner', { p: P });
    const Outer = struct('Outer', {
      i: Inner,
      u: anonymousUnion({ a: u32, b: struct('Deep', { d: u8 }) }),
    });
    const c = catalog({ m: m(Outer) }, 's.ts');
    expect(c.enums.map((e) => e.name)).toEqual(['Proto']);
    expect(c.composites.map((s) => s.name)).toEqual(['Inner', 'Deep', 'Outer']);
  });
});
