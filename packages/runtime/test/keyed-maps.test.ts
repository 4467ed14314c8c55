import { array, EncodeError, hash, ipv4, lpmTrie, lruHash, mapFlags, struct, u16, u32, u64, u8 } from '@bpfmaps/schema';
import { describeWith } from '@bpfmaps/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ArrayMap, HashMap, LpmTrieMap, mapFromSchema, type KeyedMap } from '../src/index.js';
import { Handles, thrown } from './helpers.js';

const Key = struct('Key', { id: u32, port: u16 });
const Val = struct('Val', { n: u64, tag: u8 });
const k = (i: number) => ({ id: i, port: 1000 + i });
const v = (i: number) => ({ n: BigInt(i) * 10n, tag: i % 256 });
const handles = new Handles();
afterEach(() => handles.closeAll());

// The operations every hash-like map shares, run on each kind.
const kinds = [
  { name: 'hash', make: (max: number) => handles.add(mapFromSchema(HashMap, hash('t_hash', { key: Key, value: Val, maxEntries: max }))) },
  { name: 'lru hash', make: (max: number) => handles.add(mapFromSchema(HashMap, lruHash('t_lru', { key: Key, value: Val, maxEntries: max }))) },
  {
    name: 'hash without prealloc',
    make: (max: number) => handles.add(mapFromSchema(HashMap, hash('t_noprealloc', { key: Key, value: Val, maxEntries: max, flags: mapFlags.noPrealloc }))),
  },
];

describeWith(['bpf'], 'hash-like maps on the real kernel', () => {
  describe.each(kinds)('$name', ({ make }) => {
    it('get, set, has, delete, getAndDelete', () => {
      const map = make(64);
      expect(map.get(k(1))).toBeUndefined();
      expect(map.has(k(1))).toBe(false);
      map.set(k(1), v(1));
      expect(map.get(k(1))).toEqual(v(1));
      expect(map.has(k(1))).toBe(true);
      expect(map.getAndDelete(k(1))).toEqual(v(1));
      expect(map.getAndDelete(k(1))).toBeUndefined();
      map.set(k(2), v(2));
      expect(map.delete(k(2))).toBe(true);
      expect(map.delete(k(2))).toBe(false);
    });

    it('set modes: noexist refuses an existing key, exist a missing one', () => {
      const map = make(64);
      map.set(k(1), v(1), 'noexist');
      expect(thrown(() => map.set(k(1), v(2), 'noexist')).code).toBe('KEY_EXISTS');
      expect(thrown(() => map.set(k(2), v(2), 'exist')).code).toBe('KEY_NOT_FOUND');
      map.set(k(1), v(3), 'exist');
      expect(map.get(k(1))).toEqual(v(3));
      expect(thrown(() => map.set(k(1), v(3), 'lock')).code).toBe('INVALID'); // no bpf_spin_lock in the value
    });

    it('setMany, getMany, deleteMany, count, clear', () => {
      const map = make(300);
      map.setMany(Array.from({ length: 250 }, (_, i) => [k(i), v(i)] as const));
      expect(map.count()).toBe(250);
      expect(map.getMany([k(0), k(249), k(999)])).toEqual([v(0), v(249), undefined]);
      expect(map.deleteMany([k(0), k(1), k(999)])).toBe(2);
      expect(map.count()).toBe(248);
      expect(map.clear()).toBe(248);
      expect(map.count()).toBe(0);
    });

    it('entries by batch and by next-key agree, in bounded batches', () => {
      const map = make(1000);
      map.setMany(Array.from({ length: 700 }, (_, i) => [k(i), v(i)] as const));
      const sorted = (m: KeyedMap<{ id: number; port: number }, unknown>, mode: 'batch' | 'next-key', batchSize?: number) =>
        [...m.entries({ mode, batchSize })].sort(([a], [b]) => a.id - b.id);
      const expected = Array.from({ length: 700 }, (_, i) => [k(i), v(i)]);
      expect(sorted(map, 'batch', 7)).toEqual(expected);
      expect(sorted(map, 'batch')).toEqual(expected);
      expect(sorted(map, 'next-key')).toEqual(expected);
    });

    it('update: read-modify-write, insert when absent, delete on undefined', () => {
      const map = make(8);
      expect(map.update(k(1), (cur) => ({ n: (cur?.n ?? 0n) + 1n, tag: 1 }))).toEqual({ n: 1n, tag: 1 });
      map.update(k(1), (cur) => ({ n: cur!.n + 5n, tag: 2 }));
      expect(map.get(k(1))).toEqual({ n: 6n, tag: 2 });
      map.update(k(1), () => undefined);
      expect(map.has(k(1))).toBe(false);
    });

    it('bad keys and values throw before the syscall and change nothing', () => {
      const map = make(8);
      map.set(k(1), v(1));
      expect(() => map.set(k(1), { n: -1n, tag: 0 })).toThrow(EncodeError);
      expect(() => map.set({ id: 1, port: 70000 }, v(9))).toThrow('Key.port: expected an integer in 0..65535 (u16), received 70000');
      expect(() => map.set(k(1), { n: 1n } as never)).toThrow('Val.tag');
      expect(() => map.setMany([[k(5), v(5)], [k(6), { n: 1n, tag: 300 }]])).toThrow('Val.tag');
      expect(map.get(k(1))).toEqual(v(1));
      expect(map.has(k(5))).toBe(false);
    });
  });

  it('a full hash map refuses a new key with MAP_FULL; an LRU map evicts instead', () => {
    const full = kinds[0]!.make(4);
    full.setMany([0, 1, 2, 3].map((i) => [k(i), v(i)] as const));
    const e = thrown(() => full.set(k(9), v(9)));
    expect(e.code).toBe('MAP_FULL');
    expect(e.message).toBe('set t_hash for key {"id":9,"port":1009}: E2BIG (errno 7): the map holds max_entries elements; delete some or declare a larger maxEntries');
    const lru = kinds[1]!.make(64);
    for (let i = 0; i < 200; i++) lru.set(k(i), v(i));
    expect(lru.count()).toBeLessThanOrEqual(64);
    expect(lru.get(k(199))).toEqual(v(199));
  });

  it('setMany into a full map says how many entries were written', () => {
    const map = kinds[0]!.make(4);
    const e = thrown(() => map.setMany([0, 1, 2, 3, 4, 5].map((i) => [k(i), v(i)] as const)));
    expect(e.code).toBe('MAP_FULL');
    expect(e.message).toMatch(/4 of 6 entries were written/);
  });
});

describeWith(['bpf'], 'array maps on the real kernel', () => {
  const make = () => handles.add(mapFromSchema(ArrayMap, array('t_array', { value: Val, maxEntries: 8 })));

  it('every index exists, zeroed; set and get by index', () => {
    const map = make();
    expect(map.get(3)).toEqual({ n: 0n, tag: 0 });
    map.set(3, v(3));
    expect(map.get(3)).toEqual(v(3));
    expect(map.count()).toBe(8);
    expect([...map.keys()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('an index past the end is absent on get and refused on set', () => {
    const map = make();
    expect(map.get(8)).toBeUndefined();
    expect(thrown(() => map.set(8, v(1))).code).toBe('MAP_FULL');
    expect(thrown(() => map.set(1, v(1), 'noexist')).code).toBe('KEY_EXISTS');
  });

  it('delete is refused; clear zeroes every value', () => {
    const map = make();
    map.setMany([0, 1, 2, 3, 4, 5, 6, 7].map((i) => [i, v(i + 1)] as const));
    const e = thrown(() => map.delete(1));
    expect(e.code).toBe('NOT_SUPPORTED');
    expect(e.message).toContain('array map elements always exist');
    expect(map.clear()).toBe(8);
    expect([...map.values()].every((x) => x.n === 0n && x.tag === 0)).toBe(true);
  });
});

describeWith(['bpf'], 'LPM trie maps on the real kernel', () => {
  const Cidr = struct('Cidr', { prefixlen: u32, addr: ipv4 });
  const make = () => handles.add(mapFromSchema(LpmTrieMap, lpmTrie('t_lpm', { key: Cidr, value: u32, maxEntries: 16, flags: mapFlags.noPrealloc })));

  it('get is the longest-prefix match; delete acts on the exact prefix', () => {
    const map = make();
    map.set({ prefixlen: 8, addr: '10.0.0.0' }, 1);
    map.set({ prefixlen: 24, addr: '10.1.2.0' }, 2);
    expect(map.get({ prefixlen: 32, addr: '10.1.2.3' })).toBe(2);
    expect(map.get({ prefixlen: 32, addr: '10.9.9.9' })).toBe(1);
    expect(map.get({ prefixlen: 32, addr: '11.0.0.1' })).toBeUndefined();
    expect(map.delete({ prefixlen: 24, addr: '10.1.2.0' })).toBe(true);
    expect(map.get({ prefixlen: 32, addr: '10.1.2.3' })).toBe(1);
  });

  it('entries falls back to next-key (tries have no batch ops) and sees every prefix', () => {
    const map = make();
    map.setMany([8, 16, 24].map((len, i) => [{ prefixlen: len, addr: `10.${i}.0.0` }, len] as const));
    expect([...map.entries()].map(([key, value]) => `${key.addr}/${key.prefixlen}=${value}`).sort()).toEqual(['10.0.0.0/8=8', '10.1.0.0/16=16', '10.2.0.0/24=24']);
    expect(map.count()).toBe(3);
  });
});

describeWith(['bpf'], 'mmap-able arrays', () => {
  it('reads and writes the kernel memory directly, seen by syscalls too', () => {
    const map = handles.add(mapFromSchema(ArrayMap, array('t_mmap', { value: Val, maxEntries: 1000, flags: mapFlags.mmapable })));
    using mem = map.mmap();
    expect(mem.length).toBe(1000);
    mem.set(7, v(7));
    expect(map.get(7)).toEqual(v(7)); // the syscall sees the direct write
    map.set(8, v(8));
    expect(mem.get(8)).toEqual(v(8)); // and the mapping sees the syscall's
    expect(() => mem.set(9, { n: -1n, tag: 0 })).toThrow('Val.n');
    expect(mem.get(9)).toEqual({ n: 0n, tag: 0 });
    expect(() => mem.get(1000)).toThrow('mmap: index 1000 is outside 0..999');
  });

  it('refuses an array created without BPF_F_MMAPABLE', () => {
    const map = handles.add(mapFromSchema(ArrayMap, array('t_nommap', { value: Val, maxEntries: 4 })));
    expect(thrown(() => map.mmap()).message).toContain('not created with BPF_F_MMAPABLE');
  });
});
