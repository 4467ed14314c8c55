import { existsSync } from 'node:fs';
import { hash, struct, u32, u64 } from '@bpfmaps/schema';
import { describeWith } from '@bpfmaps/testing';
import { afterEach, expect, it } from 'vitest';
import {
  HashMap,
  mapFromSchema,
  mapTypeOf,
  openMapById,
  openPinnedMap,
  RawMap,
  referenceCodec,
} from '../src/index.js';
import { Handles, thrown } from './helpers.js';

const Stats = struct('Stats', { n: u64 });
const decl = hash('t_pinned', { key: u32, value: Stats, maxEntries: 8 });
const path = `/sys/fs/bpf/bpfmaps-test-${process.pid}`;
const handles = new Handles();
afterEach(() => {
  handles.closeAll();
  if (existsSync(path)) RawMap.unpin(path);
});

describeWith(['bpf', 'bpffs'], 'pinning and opening by path or id', () => {
  it('a pinned map outlives its handle and opens again by path', () => {
    const map = mapFromSchema(decl);
    map.set(1, { n: 42n });
    map.raw.pin(path);
    map.close();
    const again = handles.add(
      openPinnedMap(HashMap, path, decl.spec, referenceCodec(u32), referenceCodec(Stats)),
    );
    expect(again.get(1)).toEqual({ n: 42n });
    RawMap.unpin(path);
    expect(existsSync(path)).toBe(false);
  });

  it('opens a map by its kernel id', () => {
    const map = handles.add(mapFromSchema(decl));
    map.set(3, { n: 3n });
    const byId = handles.add(
      openMapById(HashMap, map.raw.info.id, decl.spec, referenceCodec(u32), referenceCodec(Stats)),
    );
    expect(byId.get(3)).toEqual({ n: 3n });
  });

  it('a pin path off bpffs is refused, saying how to mount one', () => {
    const map = handles.add(mapFromSchema(decl));
    const e = thrown(() => map.raw.pin('/tmp/not-bpffs-map'));
    expect(e.code).toBe('INVALID');
    expect(e.message).toBe(
      'pin map /tmp/not-bpffs-map: /tmp is not on a bpf filesystem; mount one with: mount -t bpf bpf /sys/fs/bpf',
    );
    expect(
      thrown(() =>
        openPinnedMap(HashMap, '/tmp/x', decl.spec, referenceCodec(u32), referenceCodec(Stats)),
      ).message,
    ).toContain('mount -t bpf bpf /sys/fs/bpf');
  });

  it('opening a missing pin is NOT_FOUND naming the path; a different layout is refused', () => {
    const missing = thrown(() =>
      openPinnedMap(
        HashMap,
        `${path}-missing`,
        decl.spec,
        referenceCodec(u32),
        referenceCodec(Stats),
      ),
    );
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toBe(
      `open pinned map t_pinned at ${path}-missing: ENOENT (errno 2): nothing is pinned at this path`,
    );
    expect(thrown(() => mapTypeOf(decl).openPinned(`${path}-missing`)).code).toBe('NOT_FOUND');
    const map = handles.add(mapFromSchema(decl));
    map.raw.pin(path);
    const other = hash('t_pinned', { key: u32, value: u32, maxEntries: 8 });
    const e = thrown(() =>
      openPinnedMap(HashMap, path, other.spec, referenceCodec(u32), referenceCodec(u32)),
    );
    expect(e.code).toBe('INCOMPATIBLE');
    expect(e.message).toContain('value size: schema says 4, kernel map has 8');
  });
});
