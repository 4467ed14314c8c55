/** Behaviour particular to one kind, beyond the operations table. */
import {
  array,
  arrayOfMaps,
  hash,
  hashOfMaps,
  ipv4,
  lpmTrie,
  lruHash,
  mapFlags,
  percpuHash,
  struct,
  u16,
  u32,
  u64,
  u8,
} from '@bpfmaps/schema';
import { describeWith } from '@bpfmaps/testing';
import { afterEach, expect, it } from 'vitest';
import {
  createMap,
  HashMap,
  mapFromSchema,
  mapTypeOf,
  PerCpuHashMap,
  referenceCodec,
} from '../src/index.js';
import { Handles, thrown } from './helpers.js';

const Key = struct('Key', { id: u32, port: u16 });
const Val = struct('Val', { n: u64, tag: u8 });
const k = (i: number) => ({ id: i, port: 1000 + i });
const v = (i: number) => ({ n: BigInt(i) * 10n, tag: i % 256 });
const handles = new Handles();
afterEach(() => handles.closeAll());

describeWith(['bpf'], 'hash-like maps', () => {
  it('a full hash map refuses a new key with MAP_FULL; an LRU map evicts instead', () => {
    const full = handles.add(
      mapFromSchema(hash('t_hash', { key: Key, value: Val, maxEntries: 4 })),
    );
    full.setMany([0, 1, 2, 3].map((i) => [k(i), v(i)] as const));
    const e = thrown(() => full.set(k(9), v(9)));
    expect(e.code).toBe('MAP_FULL');
    expect(e.message).toBe(
      'set t_hash for key {"id":9,"port":1009}: E2BIG (errno 7): the map holds max_entries elements; delete some or declare a larger maxEntries',
    );
    const lru = handles.add(
      mapFromSchema(lruHash('t_lru', { key: Key, value: Val, maxEntries: 64 })),
    );
    for (let i = 0; i < 200; i++) lru.set(k(i), v(i));
    expect(lru.count()).toBeLessThanOrEqual(64);
    expect(lru.get(k(199))).toEqual(v(199));
  });

  it('setMany into a full map says how many entries were written', () => {
    const map = handles.add(mapFromSchema(hash('t_full', { key: Key, value: Val, maxEntries: 4 })));
    const e = thrown(() => map.setMany([0, 1, 2, 3, 4, 5].map((i) => [k(i), v(i)] as const)));
    expect(e.code).toBe('MAP_FULL');
    expect(e.message).toMatch(/4 of 6 entries were written/);
  });

  it('entries by batch and by next-key agree, in bounded batches', () => {
    const map = handles.add(
      mapFromSchema(hash('t_many', { key: Key, value: Val, maxEntries: 1000 })),
    );
    map.setMany(Array.from({ length: 700 }, (_, i) => [k(i), v(i)] as const));
    const sorted = (mode: 'batch' | 'next-key', batchSize?: number) =>
      [...map.entries({ mode, ...(batchSize ? { batchSize } : {}) })].sort(
        ([a], [b]) => a.id - b.id,
      );
    const expected = Array.from({ length: 700 }, (_, i) => [k(i), v(i)]);
    expect(sorted('batch', 7)).toEqual(expected);
    expect(sorted('batch')).toEqual(expected);
    expect(sorted('next-key')).toEqual(expected);
  });
});

describeWith(['bpf'], 'LPM tries', () => {
  const Cidr = struct('Cidr', { prefixlen: u32, addr: ipv4 });
  const make = () =>
    handles.add(
      mapFromSchema(
        lpmTrie('t_lpm', { key: Cidr, value: u32, maxEntries: 16, flags: mapFlags.noPrealloc }),
      ),
    );

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

  it('entries walks with next-key (tries have no batch ops) and sees every prefix', () => {
    const map = make();
    map.setMany(
      [8, 16, 24].map((len, i) => [{ prefixlen: len, addr: `10.${i}.0.0` }, len] as const),
    );
    expect(
      [...map.entries()].map(([key, value]) => `${key.addr}/${key.prefixlen}=${value}`).sort(),
    ).toEqual(['10.0.0.0/8=8', '10.1.0.0/16=16', '10.2.0.0/24=24']);
    expect(map.count()).toBe(3);
  });

  it('a prefixlen longer than the key data is refused before any syscall, on every path that takes a key', () => {
    const map = make();
    map.set({ prefixlen: 8, addr: '10.0.0.0' }, 1);
    const key = { prefixlen: 33, addr: '10.1.2.3' };
    const tries: Record<string, () => unknown> = {
      get: () => map.get(key),
      has: () => map.has(key),
      set: () => map.set(key, 2),
      delete: () => map.delete(key),
      getMany: () => map.getMany([{ prefixlen: 32, addr: '10.1.2.3' }, key]),
      setMany: () =>
        map.setMany([
          [{ prefixlen: 16, addr: '10.2.0.0' }, 4],
          [key, 2],
        ]),
      deleteMany: () => map.deleteMany([{ prefixlen: 8, addr: '10.0.0.0' }, key]),
    };
    for (const [name, run] of Object.entries(tries)) {
      const e = thrown(run);
      const op = name;
      expect([name, e.code, e.errno, e.key]).toEqual([name, 'INVALID', undefined, key]);
      expect(e.message).toBe(
        `${op} t_lpm for key {"prefixlen":33,"addr":"10.1.2.3"}: prefixlen 33 is longer than the key's 32 bits of data; this trie takes a prefixlen in 0..32`,
      );
    }
    // Nothing was written or deleted, not even the valid entries before the bad one.
    expect([...map.keys()]).toEqual([{ prefixlen: 8, addr: '10.0.0.0' }]);
    // The longest prefix there is stays fine.
    map.set({ prefixlen: 32, addr: '10.1.2.3' }, 5);
    expect(map.get({ prefixlen: 32, addr: '10.1.2.3' })).toBe(5);
  });
});

describeWith(['bpf'], 'mmap-able arrays', () => {
  it('reads and writes the kernel memory directly, seen by syscalls too', () => {
    const map = handles.add(
      mapFromSchema(array('t_mmap', { value: Val, maxEntries: 1000, flags: mapFlags.mmapable })),
    );
    using mem = map.mmap();
    expect(mem.length).toBe(1000);
    mem.set(7, v(7));
    expect(map.get(7)).toEqual(v(7)); // the syscall sees the direct write
    map.set(8, v(8));
    expect(mem.get(8)).toEqual(v(8)); // and the mapping sees the syscall's
    expect(() => mem.set(9, { n: -1n, tag: 0 })).toThrow('Val.n');
    expect(mem.get(9)).toEqual({ n: 0n, tag: 0 });
    const e = thrown(() => mem.get(1000));
    expect(e.code).toBe('OUT_OF_RANGE');
    expect(e.message).toContain('index 1000 is out of range: ');
    mem.close();
    expect(thrown(() => mem.get(1)).code).toBe('CLOSED');
  });

  it('refuses an array created without BPF_F_MMAPABLE', () => {
    const map = handles.add(mapFromSchema(array('t_nommap', { value: Val, maxEntries: 4 })));
    expect(thrown(() => map.mmap()).message).toContain('not created with BPF_F_MMAPABLE');
  });
});

describeWith(['bpf'], 'the accessor a kind names', () => {
  it('a spec opens only through the accessor its kind names (a per-CPU map read as a plain one would overflow)', () => {
    const pc = percpuHash('t_pc', { key: u32, value: u64, maxEntries: 4 });
    const e = thrown(() => createMap(HashMap, pc.spec, referenceCodec(u32), referenceCodec(u64)));
    expect(e.code).toBe('INCOMPATIBLE');
    expect(e.message).toBe('open map t_pc: a percpuHash map opens as PerCpuHashMap, not HashMap');
    const ok = handles.add(
      createMap(PerCpuHashMap, pc.spec, referenceCodec(u32), referenceCodec(u64)),
    );
    expect(ok.cpus).toBeGreaterThan(0);
  });
});

describeWith(['bpf'], 'access flags', () => {
  it('rdonly and wronly maps open (the kernel keeps neither in the map info) and limit user space', () => {
    const ro = handles.add(
      mapFromSchema(hash('t_ro', { key: u32, value: u32, maxEntries: 4, flags: mapFlags.rdonly })),
    );
    expect(ro.get(1)).toBeUndefined();
    expect(thrown(() => ro.set(1, 1)).code).toBe('PERMISSION');
    const wo = handles.add(
      mapFromSchema(hash('t_wo', { key: u32, value: u32, maxEntries: 4, flags: mapFlags.wronly })),
    );
    wo.set(1, 2);
    expect(thrown(() => wo.get(1)).code).toBe('PERMISSION');
  });

  it('a flags mismatch names the flags', () => {
    const map = handles.add(
      mapFromSchema(
        hash('t_flags', { key: u32, value: u32, maxEntries: 4, flags: mapFlags.noPrealloc }),
      ),
    );
    const other = hash('t_flags', {
      key: u32,
      value: u32,
      maxEntries: 4,
      flags: mapFlags.zeroSeed,
    });
    const e = thrown(() => mapTypeOf(other).open({ origin: 'a test', fd: () => map.fd }));
    expect(e.code).toBe('INCOMPATIBLE');
    expect(e.message).toContain('flags: schema says zeroSeed, kernel map has noPrealloc');
  });
});

describeWith(['bpf'], 'maps of maps from user space', () => {
  const Inner = hash('t_inner', { key: u32, value: u64, maxEntries: 8 });
  const outer = hashOfMaps('t_hom', { key: u32, inner: Inner, maxEntries: 4 });

  it('set modes are the kernel errors they are, not blamed on the template', () => {
    const hom = handles.add(mapFromSchema(outer));
    const a = handles.add(mapFromSchema(Inner));
    hom.set(1, a);
    const exists = thrown(() => hom.set(1, a, 'noexist'));
    expect(exists.code).toBe('KEY_EXISTS');
    expect(exists.message).not.toContain('template');
    expect(thrown(() => hom.set(2, a, 'exist')).code).toBe('KEY_NOT_FOUND');
    const wrong = handles.add(
      mapFromSchema(hash('t_wrong', { key: u32, value: u32, maxEntries: 8 })),
    );
    const refused = thrown(() => hom.set(3, wrong as never));
    expect(refused.code).toBe('INVALID');
    expect(refused.message).toContain('inner map t_wrong must match the template t_inner');
  });

  it('an inner map declared with innerMap may be any size: create sizes it, get opens it', () => {
    const Sized = array('t_sized', { value: u64, maxEntries: 4, flags: mapFlags.innerMap });
    const aom = handles.add(mapFromSchema(arrayOfMaps('t_aom', { inner: Sized, maxEntries: 2 })));
    const big = handles.add(mapTypeOf(Sized).create({ maxEntries: 16 }));
    big.set(15, 7n);
    aom.set(1, big);
    const back = handles.add(aom.get(1)!);
    expect(back.raw.info.maxEntries).toBe(16);
    expect(back.get(15)).toBe(7n);
  });
});
