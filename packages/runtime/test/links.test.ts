/**
 * Links as handles: close detaches, a pin keeps the link attached after
 * its handle and its object close (seen by bpftool and by reopening), and
 * every misuse (a path off bpffs, a closed object) is a clear error.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { array, hash, u32, u64 } from '@bpfmaps/schema';
import { compileBpf, describeWith } from '@bpfmaps/testing';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { BpfObject, Link, mapFromSchema, mapTypeOf } from '../src/index.js';
import { Handles, thrown } from './helpers.js';

const handles = new Handles();
afterEach(() => handles.closeAll());

const COUNTER = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } counts SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } target SEC(".maps");

SEC("tp/raw_syscalls/sys_enter")
int count(void *ctx __attribute__((unused)))
{
	__u32 zero = 0, *t = bpf_map_lookup_elem(&target, &zero);
	__u64 *c = bpf_map_lookup_elem(&counts, &zero);
	if (t && c && *t == (__u32)(bpf_get_current_pid_tgid() >> 32))
		__sync_fetch_and_add(c, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

const countsMap = mapTypeOf(array('counts', { value: u64, maxEntries: 1 }));
const targetMap = mapTypeOf(array('target', { value: u32, maxEntries: 1 }));
const PIN = `/sys/fs/bpf/bpfmaps-link-${process.pid}`;
const MAP_PIN = `/sys/fs/bpf/bpfmaps-link-map-${process.pid}`;

describeWith(['bpf', 'clang', 'libbpf-headers', 'tracefs', 'bpffs', 'bpftool'], 'links', () => {
  let object: string;
  beforeAll(() => {
    object = compileBpf(COUNTER);
  });
  afterAll(() => {
    rmSync(PIN, { force: true });
    rmSync(MAP_PIN, { force: true });
  });

  function load() {
    const obj = handles.add(BpfObject.load(object));
    const counts = handles.add(countsMap.open(obj.map('counts')));
    handles.add(targetMap.open(obj.map('target'))).set(0, process.pid);
    return { obj, count: () => counts.get(0) ?? 0n };
  }

  /** Whether the program counts this process's syscalls now. */
  function counting(count: () => bigint): boolean {
    const before = count();
    for (let i = 0; i < 50; i++) statSync('/');
    return count() - before >= 50n;
  }

  it('a pinned link stays attached after its handle and its object close; unpin and close detach it', () => {
    const { obj, count } = load();
    const link = obj.program('count').attachTracepoint('raw_syscalls', 'sys_enter');
    link.pin(PIN);
    expect(link.pinnedAt).toBe(PIN);
    const { id, programId } = link.info();
    const shown = JSON.parse(
      execFileSync('bpftool', ['-j', 'link', 'show', 'pinned', PIN], { encoding: 'utf8' }),
    ) as { id: number; prog_id: number };
    expect([shown.id, shown.prog_id]).toEqual([id, programId]);
    link.close();
    obj.close();
    expect(counting(count)).toBe(true);
    const reopened = Link.openPinned(PIN);
    expect(reopened.info().id).toBe(id);
    expect(reopened.description).toBe(`${PIN} (pinned)`);
    reopened.close(); // the pin still holds it
    expect(counting(count)).toBe(true);
    const last = Link.openPinned(PIN);
    last.unpin();
    expect(last.pinnedAt).toBeUndefined();
    last.close();
    expect(counting(count)).toBe(false);
  });

  it('pin refuses a path off bpffs, a directory, a taken path; unpin refuses a link that is not pinned', () => {
    const { obj } = load();
    using link = obj.program('count').attachTracepoint('raw_syscalls', 'sys_enter');
    const offBpffs = thrown(() => link.pin('/tmp/bpfmaps-link'));
    expect(offBpffs.code).toBe('INVALID');
    expect(offBpffs.message).toBe(
      'pin link program count -> tracepoint raw_syscalls:sys_enter at /tmp/bpfmaps-link: /tmp is not on a bpf filesystem; mount one with: mount -t bpf bpf /sys/fs/bpf',
    );
    expect(thrown(() => link.pin('/sys/fs/bpf')).message).toContain(
      'this is a directory, not a pin',
    );
    const notPinned = thrown(() => link.unpin());
    expect(notPinned.message).toContain('it is not pinned');
    link.pin(PIN);
    try {
      const taken = thrown(() => link.pin(PIN));
      expect(taken.code).toBe('EXISTS');
    } finally {
      link.unpin();
    }
    expect(thrown(() => Link.openPinned(PIN)).code).toBe('NOT_FOUND');
  });

  it('opening a pin that holds a map as a link is INVALID', () => {
    using map = mapFromSchema(hash('not_a_link', { key: u32, value: u32, maxEntries: 1 }));
    map.raw.pin(MAP_PIN);
    const e = thrown(() => Link.openPinned(MAP_PIN));
    expect(e.code).toBe('INVALID');
    expect(e.message).toContain('the pin is a map, not a link');
  });

  it('closing the object detaches its links: they are CLOSED, and so is attaching after', () => {
    const { obj, count } = load();
    const prog = obj.program('count');
    const link = prog.attachTracepoint('raw_syscalls', 'sys_enter');
    expect(counting(count)).toBe(true);
    obj.close();
    expect(link.closed).toBe(true);
    expect(counting(count)).toBe(false);
    const pin = thrown(() => link.pin(PIN));
    expect(pin.code).toBe('CLOSED');
    expect(pin.message).toBe(
      "pin link program count -> tracepoint raw_syscalls:sys_enter: its program's object was closed, which detached it",
    );
    expect(thrown(() => link.info()).code).toBe('CLOSED');
    link.close(); // harmless
    const again = thrown(() => prog.attach());
    expect(again.code).toBe('CLOSED');
    expect(again.message).toContain('program count (its object is closed)');
  });

  it('close is idempotent and `using` closes', () => {
    const { obj, count } = load();
    {
      using link = obj.program('count').attachTracepoint('raw_syscalls', 'sys_enter');
      expect(counting(count)).toBe(true);
      expect(link.closed).toBe(false);
    }
    expect(counting(count)).toBe(false);
    const link = obj.program('count').attachTracepoint('raw_syscalls', 'sys_enter');
    link.close();
    link.close();
    expect(thrown(() => link.pin(PIN)).code).toBe('CLOSED');
    expect(counting(count)).toBe(false);
  });
});
