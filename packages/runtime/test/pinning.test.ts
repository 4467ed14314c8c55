import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { array, hash, mapFlags, struct, u32, u64 } from '@bpfmaps/schema';
import { compileBpf, describeWith } from '@bpfmaps/testing';
import { afterEach, expect, it } from 'vitest';
import {
  ArrayMap,
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
  rmSync(path, { recursive: true, force: true });
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
        // A path no one else makes: /tmp/x may be anyone's directory.
        openPinnedMap(
          HashMap,
          `/tmp/bpfmaps-not-a-pin-${process.pid}`,
          decl.spec,
          referenceCodec(u32),
          referenceCodec(Stats),
        ),
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

const openFds = () => readdirSync('/proc/self/fd').length;

describeWith(['bpf', 'bpffs'], 'what a pin path names', () => {
  it("a directory is not a pin, the bpf filesystem's root included", () => {
    mkdirSync(path);
    const map = handles.add(mapFromSchema(decl));
    for (const dir of [path, `${path}/`, '/sys/fs/bpf', '/sys/fs/bpf/']) {
      const e = thrown(() => mapTypeOf(decl).openPinned(dir));
      expect(e.code).toBe('INVALID');
      expect(e.message).toBe(
        `open pinned map t_pinned at ${dir}: this is a directory, not a pin; a pin path names a file in one`,
      );
    }
    expect(thrown(() => map.raw.pin(path)).message).toBe(
      `pin map ${path}: this is a directory, not a pin; a pin path names a file in one`,
    );
    expect(thrown(() => RawMap.unpin(path)).code).toBe('INVALID');
    expect(existsSync(path)).toBe(true);
  });
});

const PROGRAM = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int pass(struct xdp_md *ctx __attribute__((unused)))
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

describeWith(['bpf', 'bpffs', 'bpftool', 'clang', 'libbpf-headers'], 'a pin of a program', () => {
  it('is not read as a map: INVALID, saying what it is, and its fd is closed', () => {
    execFileSync('bpftool', ['prog', 'load', compileBpf(PROGRAM), path]);
    const before = openFds();
    const e = thrown(() => mapTypeOf(decl).openPinned(path));
    expect(e.code).toBe('INVALID');
    expect(e.message).toBe(`open pinned map t_pinned at ${path}: the pin is a program, not a map`);
    expect(openFds()).toBe(before);
  });
});

describeWith(['bpf', 'bpffs'], 'read-only handles', () => {
  it('{ readOnly: true } reads, and every write through it is PERMISSION naming the map and the op', () => {
    const map = handles.add(mapFromSchema(decl));
    map.set(1, { n: 1n });
    map.raw.pin(path);
    const ro = handles.add(mapTypeOf(decl).openPinned(path, { readOnly: true }));
    expect(ro.raw.readOnly).toBe(true);
    expect(ro.get(1)).toEqual({ n: 1n });
    expect([...ro.keys()]).toEqual([1]);
    const why =
      'EPERM (errno 1): this handle was opened read-only ({ readOnly: true }) and the kernel refuses writes through it; to write, open the pin without readOnly (that needs write permission on the pin)';
    const writes: [string, () => unknown][] = [
      ['set t_pinned for key 1', () => ro.set(1, { n: 2n })],
      ['update t_pinned for key 1', () => ro.update(1, (v) => ({ n: v!.n + 1n }))],
      ['delete t_pinned for key 1', () => ro.delete(1)],
      ['setMany t_pinned for key 2', () => ro.setMany([[2, { n: 2n }]])],
      ['deleteMany t_pinned for key 1', () => ro.deleteMany([1])],
    ];
    for (const [what, write] of writes) {
      const e = thrown(write);
      expect(e.code).toBe('PERMISSION');
      expect(
        e.message.replace(/: \d+ (of \d+ entries were written|keys were deleted before it);/, ':'),
      ).toBe(`${what}: ${why}`);
    }
    expect(map.get(1)).toEqual({ n: 1n });
    expect(map.count()).toBe(1);
  });

  it('a read-only handle cannot be mapped: the kernel maps only through an fd that may write', () => {
    const mmapped = array('t_mmap_ro', { value: u64, maxEntries: 4, flags: mapFlags.mmapable });
    const map = handles.add(mapFromSchema(mmapped));
    map.raw.pin(path);
    const ro = handles.add(
      mapTypeOf(mmapped).openPinned(path, { readOnly: true }) as ArrayMap<bigint>,
    );
    const e = thrown(() => ro.mmap());
    expect(e.code).toBe('PERMISSION');
    expect(e.message).toBe(
      'mmap t_mmap_ro: the map was opened read-only ({ readOnly: true }), and the kernel maps a map only through an fd that may write it; read it with get(), or open the pin without readOnly',
    );
    expect(ro.get(1)).toBe(0n);
  });
});
