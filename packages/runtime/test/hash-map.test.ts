import { readdirSync } from 'node:fs';
import { be16, be32, chars, EncodeError, hash, struct, u64, u8 } from '@bpfmaps/schema';
import { describeWith } from '@bpfmaps/testing';
import { afterEach, expect, it } from 'vitest';
import { HashMap, mapFromSchema, openMap, referenceCodec, type MapSource } from '../src/index.js';
import { thrown } from './helpers.js';

const Key = struct('FlowKey', { saddr: be32, sport: be16, proto: u8 });
const Stats = struct('FlowStats', { packets: u64, bytes: u64, label: chars(8) });
const flows = hash('flows', { key: Key, value: Stats, maxEntries: 4 });

const k = (n: number) => ({ saddr: 0x0a000000 + n, sport: 1000 + n, proto: 6 });
const v = (n: number) => ({ packets: BigInt(n), bytes: BigInt(n * 100), label: `f${n}` });

const open: HashMap<unknown, unknown>[] = [];
const source = (map: HashMap<unknown, unknown>): MapSource => ({
  origin: 'test',
  fd: () => map.fd,
});
function create() {
  const map = mapFromSchema(flows);
  open.push(map as HashMap<unknown, unknown>);
  return map;
}
afterEach(() => {
  for (const m of open.splice(0)) m.close();
});

describeWith(['bpf'], 'HashMap on a real kernel hash map', () => {
  it('get returns undefined for a missing key, the value after set', () => {
    const map = create();
    expect(map.get(k(1))).toBeUndefined();
    map.set(k(1), v(1));
    expect(map.get(k(1))).toEqual(v(1));
    map.set(k(1), v(7));
    expect(map.get(k(1))).toEqual(v(7));
  });

  it('delete says whether the key was there', () => {
    const map = create();
    map.set(k(1), v(1));
    expect(map.delete(k(1))).toBe(true);
    expect(map.delete(k(1))).toBe(false);
    expect(map.get(k(1))).toBeUndefined();
  });

  it('entries yields every entry exactly once', () => {
    const map = create();
    for (let n = 0; n < 4; n++) map.set(k(n), v(n));
    const entries = [...map.entries()].sort(([a], [b]) => a.saddr - b.saddr);
    expect(entries).toEqual([0, 1, 2, 3].map((n) => [k(n), v(n)]));
    expect([...map.keys()]).toHaveLength(4);
    expect([...map.values()].map((x) => x.packets).sort()).toEqual([0n, 1n, 2n, 3n]);
  });

  it.each(['batch', 'next-key'] as const)(
    'entries (%s) survives deleting the current key while iterating, yielding each key once',
    (mode) => {
      const map = create();
      for (let n = 0; n < 4; n++) map.set(k(n), v(n));
      const seen: number[] = [];
      for (const [key] of map.entries({ mode })) {
        seen.push(key.saddr);
        map.delete(key);
      }
      expect(seen.sort()).toEqual([0, 1, 2, 3].map((n) => k(n).saddr));
      expect([...map.entries({ mode })]).toEqual([]);
    },
  );

  it('next-key iteration stops after max entries even if the kernel keeps restarting', () => {
    const map = create();
    for (let n = 0; n < 4; n++) map.set(k(n), v(n));
    // Delete and re-add every key as it is yielded: the walk restarts each time, yet each key comes once.
    const seen: number[] = [];
    for (const [key] of map.entries({ mode: 'next-key' })) {
      map.delete(key);
      map.set(key, v(seen.length + 10));
      seen.push(key.saddr);
    }
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
  });

  it('set noexist on an existing key fails with KEY_EXISTS naming the map, key and errno', () => {
    const map = create();
    map.set(k(1), v(1));
    const e = thrown(() => map.set(k(1), v(2), 'noexist'));
    expect(e.code).toBe('KEY_EXISTS');
    expect(e.errno).toBe(17);
    expect(e.message).toBe(
      'set flows for key {"saddr":167772161,"sport":1001,"proto":6}: EEXIST (errno 17): the key is already in the map (mode \'noexist\' adds only new keys)',
    );
    expect(map.get(k(1))).toEqual(v(1));
  });

  it('set exist on a missing key fails with KEY_NOT_FOUND', () => {
    const map = create();
    expect(thrown(() => map.set(k(1), v(1), 'exist')).code).toBe('KEY_NOT_FOUND');
  });

  it('a full map fails with MAP_FULL and a hint', () => {
    const map = create();
    for (let n = 0; n < 4; n++) map.set(k(n), v(n));
    const e = thrown(() => map.set(k(9), v(9)));
    expect(e.code).toBe('MAP_FULL');
    expect(e.message).toContain('E2BIG');
    expect(e.message).toContain('declare a larger maxEntries');
  });

  it('an invalid value throws before the syscall and leaves the map unchanged', () => {
    const map = create();
    map.set(k(1), v(1));
    expect(() => map.set(k(1), { ...v(2), label: 'far too long' })).toThrow(EncodeError);
    expect(() => map.set(k(1), { ...v(2), packets: -1n })).toThrow(
      'FlowStats.packets: expected a bigint in 0..2^64-1 (u64), received -1n',
    );
    expect(() => map.set({ ...k(1), sport: 70000 }, v(2))).toThrow('FlowKey.sport');
    expect(map.get(k(1))).toEqual(v(1));
    expect([...map.entries()]).toHaveLength(1);
  });

  it('refuses to open a map whose layout differs, listing every difference', () => {
    const map = create();
    const Other = struct('Other', { packets: u64 });
    const other = hash('flows', { key: Key, value: Other, maxEntries: 8 });
    const e = thrown(() =>
      openMap(
        HashMap,
        source(map as HashMap<unknown, unknown>),
        other.spec,
        referenceCodec(Key),
        referenceCodec(Other),
      ),
    );
    expect(e.code).toBe('INCOMPATIBLE');
    expect(e.message).toContain('value size: schema says 8, kernel map has 24');
    expect(e.message).toContain('max entries: schema says 8, kernel map has 4');
  });

  it('a closed handle refuses operations; close is idempotent', () => {
    const map = mapFromSchema(flows);
    map.close();
    map.close();
    const e = thrown(() => map.get(k(1)));
    expect(e.code).toBe('CLOSED');
    expect(e.message).toBe('get map flows: the handle is closed');
  });

  it('10,000 open/close cycles leave the fd count where it started', () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const map = create();
    const before = fds();
    for (let i = 0; i < 10_000; i++) {
      using again = openMap(
        HashMap,
        source(map as HashMap<unknown, unknown>),
        flows.spec,
        referenceCodec(Key),
        referenceCodec(Stats),
      );
      again.get(k(1));
    }
    expect(fds()).toBe(before);
  });
});
