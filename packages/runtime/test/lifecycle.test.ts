/**
 * Open, configure, load as separate steps, and choosing which programs
 * load: one program the kernel refuses no longer fails the whole object.
 */
import { compileBpf, describeWith } from '@bpfmaps/testing';
import { u32, u64 } from '@bpfmaps/schema';
import { expect, it } from 'vitest';
import { BpfObject, HashMap, openMap, referenceCodec } from '../src/index.js';
import { hash } from '@bpfmaps/schema';
import { thrown } from './helpers.js';

const PROGRAM = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

SEC("xdp")
int pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

SEC("xdp")
int drop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}

/* This kernel refuses fentry programs (EPERM): the object loads only without it. */
SEC("fentry/do_nanosleep")
int on_sleep(void *ctx)
{
	(void)ctx;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

const frame = { data: new Uint8Array(64) };

describeWith(['bpf', 'clang', 'libbpf-headers'], 'open, configure, load', () => {
  const path = compileBpf(PROGRAM);

  it('open parses without loading: programs and maps wait for load()', () => {
    using obj = BpfObject.open(path);
    expect(obj.loaded).toBe(false);
    expect(obj.programNames()).toEqual(['pass', 'drop', 'on_sleep']);
    const pass = obj.program('pass');
    const early = thrown(() => pass.fd);
    expect(early.code).toBe('NOT_LOADED');
    expect(early.message).toBe(
      `use program pass of object ${path}: the object is opened but not loaded (programs load with it); call load() first`,
    );
    expect(thrown(() => pass.testRun(frame)).code).toBe('NOT_LOADED');
    const spec = hash('seen', { key: u32, value: u64, maxEntries: 4 }).spec;
    const open = () =>
      openMap(HashMap, obj.map('seen'), spec, referenceCodec(u32), referenceCodec(u64));
    expect(thrown(open).message).toBe(
      `open map seen of object ${path}: the object is opened but not loaded (maps are created when it loads); call load() first`,
    );
    obj.setAutoload('on_sleep', false);
    obj.load();
    expect(obj.loaded).toBe(true);
    expect(pass.testRun(frame).retval).toBe(2);
    using seen = open();
    expect(seen.count()).toBe(0);
  });

  it('a program the kernel refuses fails the load, naming it and how to leave it out', () => {
    const e = thrown(() => BpfObject.load(path));
    expect(e.code).toBe('PERMISSION');
    expect(e.message).toContain(
      `load object ${path}: EPERM (errno 1): loading program on_sleep, which can be left out (setAutoload('on_sleep', false) before load(), or BpfObject.open(path, { programs }))`,
    );
    expect(e.message).toContain('this kernel still refuses fentry program on_sleep');
  });

  it('a failed load closes the object: libbpf loads an object once', () => {
    const obj = BpfObject.open(path);
    expect(thrown(() => obj.load()).code).toBe('PERMISSION');
    expect(obj.closed).toBe(true);
    expect(obj.loaded).toBe(false);
    expect(thrown(() => obj.load()).code).toBe('CLOSED');
  });

  it('with autoload off the rest loads; the program left out says so when used', () => {
    using obj = BpfObject.open(path);
    expect(obj.autoload('on_sleep')).toBe(true);
    obj.setAutoload('on_sleep', false);
    expect(obj.autoload('on_sleep')).toBe(false);
    obj.load();
    expect(obj.program('drop').testRun(frame).retval).toBe(1);
    const skipped = obj.program('on_sleep');
    for (const use of [
      () => skipped.fd,
      () => skipped.testRun(),
      () => skipped.attachTracepoint('sched', 'sched_switch'),
    ]) {
      const e = thrown(use);
      expect(e.code).toBe('NOT_LOADED');
      expect(e.message).toContain(
        `program on_sleep of object ${path}: the program was not loaded: its autoload was off (setAutoload, or the programs option of BpfObject.open)`,
      );
    }
  });

  it('the programs option loads only those', () => {
    using obj = BpfObject.load(path, { programs: ['drop'] });
    expect(['pass', 'drop', 'on_sleep'].map((p) => obj.autoload(p))).toEqual([false, true, false]);
    expect(obj.program('drop').testRun(frame).retval).toBe(1);
    expect(thrown(() => obj.program('pass').fd).code).toBe('NOT_LOADED');
  });

  it('unknown programs are refused, listing the ones there are', () => {
    const e = thrown(() => BpfObject.open(path, { programs: ['pass', 'passs', 'nope'] }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toBe(
      `open object ${path}: options.programs names "passs", "nope", which the object does not have; it has: pass, drop, on_sleep`,
    );
    using obj = BpfObject.open(path);
    expect(thrown(() => obj.setAutoload('passs', false)).message).toBe(
      `find program passs: object ${path} has no such program; it has: pass, drop, on_sleep`,
    );
  });

  it('after load, autoload and load itself are refused', () => {
    using obj = BpfObject.load(path, { programs: ['pass'] });
    const late = thrown(() => obj.setAutoload('drop', true));
    expect(late.code).toBe('INVALID');
    expect(late.message).toBe(
      `set autoload of program drop of object ${path}: the object is already loaded; choose the programs to load between BpfObject.open() and load()`,
    );
    const twice = thrown(() => obj.load());
    expect(twice.code).toBe('INVALID');
    expect(twice.message).toBe(
      `load object ${path}: it is already loaded; libbpf loads an object once (open it again for another copy)`,
    );
    expect(obj.program('pass').testRun(frame).retval).toBe(2);
  });

  it('a tp_btf program whose target the kernel lacks is NOT_FOUND, naming it', () => {
    const missing = compileBpf(`#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tp_btf/no_such_btf_tp")
int on_nothing(void *ctx)
{
	(void)ctx;
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
`);
    const e = thrown(() => BpfObject.load(missing));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain(
      `load object ${missing}: ESRCH (errno 3): loading program on_nothing, which can be left out`,
    );
    expect(e.message).toContain(
      'the kernel has no function or tracepoint of the name the section gives',
    );
    expect(e.log).toContain("failed to find kernel BTF type ID of 'no_such_btf_tp'");
  });

  it('everything refuses use after close, loaded or not', () => {
    const obj = BpfObject.open(path);
    obj.close();
    for (const use of [
      () => obj.load(),
      () => obj.setAutoload('pass', false),
      () => obj.autoload('pass'),
      () => obj.program('pass'),
    ])
      expect(thrown(use).code).toBe('CLOSED');
  });
});
