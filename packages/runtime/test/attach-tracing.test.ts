/**
 * Tracing attach kinds against the real kernel: each one this kernel has
 * runs a program seen to fire (a counter map, filtered to this process);
 * each one it lacks is checked for its error, and the log says what was
 * not exercised. Detected, not assumed: a kernel with kprobes or fentry
 * exercises them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, openSync, closeSync, statSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { array, u32, u64 } from '@bpfmaps/schema';
import { compileBpf, describeWith, tempDir } from '@bpfmaps/testing';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { BpfObject, mapTypeOf } from '../src/index.js';
import { Handles, runChild, thrown } from './helpers.js';

const handles = new Handles();
afterEach(() => handles.closeAll());

const TARGET_ARCH = `-D__TARGET_ARCH_${arch() === 'arm64' ? 'arm64' : 'x86'}`;

/** One counter per program; `target[0]` is the process the syscall programs count. */
const COMMON = `
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 8); __type(key, __u32); __type(value, __u64); } counts SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } target SEC(".maps");

static __always_inline void add(__u32 slot, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&counts, &slot);
	if (c)
		__sync_fetch_and_add(c, n);
}

static __always_inline int mine(void)
{
	__u32 zero = 0, *t = bpf_map_lookup_elem(&target, &zero);
	return t && *t == (__u32)(bpf_get_current_pid_tgid() >> 32);
}

char LICENSE[] SEC("license") = "GPL";
`;

const SLOT = { tp: 0, rawTp: 1, tpBtf: 2, kprobe: 3, uprobe: 4, uretprobe: 5, fentry: 6 };

const TRACING = `${COMMON}
SEC("tp/raw_syscalls/sys_enter")
int on_tp(void *ctx __attribute__((unused))) { if (mine()) add(${SLOT.tp}, 1); return 0; }

SEC("raw_tp/sys_enter")
int on_raw_tp(void *ctx __attribute__((unused))) { if (mine()) add(${SLOT.rawTp}, 1); return 0; }

SEC("tp_btf/sys_enter")
int BPF_PROG(on_tp_btf, struct pt_regs *regs, long id) { if (mine()) add(${SLOT.tpBtf}, 1); return 0; }

SEC("kprobe/do_sys_openat2")
int on_kprobe(void *ctx __attribute__((unused))) { if (mine()) add(${SLOT.kprobe}, 1); return 0; }

SEC("kprobe")
int on_bare_kprobe(void *ctx __attribute__((unused))) { return 0; }

SEC("uprobe")
int BPF_KPROBE(on_uprobe, int x) { add(${SLOT.uprobe}, 1); return 0; }

SEC("uretprobe")
int BPF_KRETPROBE(on_uretprobe, int ret) { add(${SLOT.uretprobe}, ret); return 0; }

SEC("xdp")
int not_tracing(struct xdp_md *ctx __attribute__((unused))) { return XDP_PASS; }
`;

const FENTRY = `${COMMON}
SEC("fentry/do_sys_openat2")
int BPF_PROG(on_fentry) { if (mine()) add(${SLOT.fentry}, 1); return 0; }
`;

const countsMap = mapTypeOf(array('counts', { value: u64, maxEntries: 8 }));
const targetMap = mapTypeOf(array('target', { value: u32, maxEntries: 1 }));

describeWith(['bpf', 'clang', 'libbpf-headers', 'tracefs'], 'attaching tracing programs', () => {
  let object: string;
  beforeAll(() => {
    object = compileBpf(TRACING, { args: [TARGET_ARCH, '-Wno-unused-parameter'] });
  });

  /** The object, with its counters and `target` set to this process. */
  function load() {
    const obj = handles.add(BpfObject.load(object));
    const counts = handles.add(countsMap.open(obj.map('counts')));
    const target = handles.add(targetMap.open(obj.map('target')));
    target.set(0, process.pid);
    return { obj, count: (slot: number) => counts.get(slot) ?? 0n };
  }

  /** Makes this process enter the kernel `n` times (stat, so openat too once per round). */
  function syscalls(n = 100) {
    for (let i = 0; i < n; i++) statSync('/');
    closeSync(openSync('/proc/self/stat', 'r'));
  }

  /** Checks the program counting into `slot` fires while `link` is open and stops when it closes. */
  function firesUntilClosed(
    link: { close(): void },
    count: (slot: number) => bigint,
    slot: number,
  ) {
    const before = count(slot);
    syscalls();
    expect(count(slot) - before).toBeGreaterThanOrEqual(100n);
    link.close();
    const after = count(slot);
    syscalls();
    expect(count(slot)).toBe(after);
    link.close(); // twice: harmless
  }

  it('attach() by section: tp/, raw_tp/ and tp_btf/ each fire, and stop when closed', () => {
    const { obj, count } = load();
    const cases: [string, number, string][] = [
      ['on_tp', SLOT.tp, 'program on_tp -> tp/raw_syscalls/sys_enter'],
      ['on_raw_tp', SLOT.rawTp, 'program on_raw_tp -> raw_tp/sys_enter'],
      ['on_tp_btf', SLOT.tpBtf, 'program on_tp_btf -> tp_btf/sys_enter'],
    ];
    for (const [name, slot, description] of cases) {
      const link = obj.program(name).attach();
      expect(link.description).toBe(description);
      firesUntilClosed(link, count, slot);
    }
  });

  it('the explicit methods: tracepoint, raw tracepoint, BTF tracepoint', () => {
    const { obj, count } = load();
    const tp = obj.program('on_tp').attachTracepoint('raw_syscalls', 'sys_enter');
    expect(tp.description).toBe('program on_tp -> tracepoint raw_syscalls:sys_enter');
    expect(tp.info()).toMatchObject({ type: 'perf_event' });
    firesUntilClosed(tp, count, SLOT.tp);
    const raw = obj.program('on_raw_tp').attachRawTracepoint('sys_enter');
    expect(raw.info()).toMatchObject({ type: 'raw_tracepoint' });
    firesUntilClosed(raw, count, SLOT.rawTp);
    const btf = obj.program('on_tp_btf').attachTrace();
    // libbpf attaches tp_btf through BPF_RAW_TRACEPOINT_OPEN.
    expect(btf.info()).toMatchObject({ type: 'raw_tracepoint' });
    firesUntilClosed(btf, count, SLOT.tpBtf);
  });

  it('the same program on the same tracepoint twice is EXISTS, saying so', () => {
    const { obj } = load();
    using first = obj.program('on_tp').attach();
    const again = thrown(() => obj.program('on_tp').attach());
    expect(again.code).toBe('EXISTS');
    expect(again.message).toContain(
      'the program is already attached to this hook; close the link you have',
    );
    expect(first.closed).toBe(false);
  });

  it('a missing tracepoint names what is missing, never tracefs when it is mounted', () => {
    const { obj } = load();
    const prog = obj.program('on_tp');
    const noCategory = thrown(() => prog.attachTracepoint('nope', 'nothing'));
    expect([noCategory.code, noCategory.errno]).toEqual(['NOT_FOUND', 2]);
    expect(noCategory.message).toMatch(
      /^attach program on_tp to tracepoint nope:nothing: ENOENT \(errno 2\): this kernel has no tracepoint category nope \(ls \/sys\/kernel\/(debug\/)?tracing\/events lists them\)/,
    );
    const noName = thrown(() => prog.attachTracepoint('syscalls', 'sys_enter_nothing'));
    expect(noName.code).toBe('NOT_FOUND');
    expect(noName.message).toContain('this kernel has no tracepoint syscalls:sys_enter_nothing');
    for (const e of [noCategory, noName]) expect(e.message).not.toContain('mount');
    const raw = thrown(() => obj.program('on_raw_tp').attachRawTracepoint('raw_syscalls:nope'));
    expect(raw.code).toBe('NOT_FOUND');
    expect(raw.message).toContain('this kernel has no raw tracepoint raw_syscalls:nope');
  });

  it('a program of the wrong type is refused before the kernel sees it, naming the method that fits', () => {
    const { obj } = load();
    const xdp = thrown(() =>
      obj.program('not_tracing').attachTracepoint('raw_syscalls', 'sys_enter'),
    );
    expect([xdp.code, xdp.errno]).toEqual(['INVALID', undefined]);
    expect(xdp.message).toBe(
      'attach program not_tracing to tracepoint raw_syscalls:sys_enter: not_tracing is a program of type xdp (SEC("xdp")), and a tracepoint takes SEC("tp/<category>/<name>") programs; attach it with attachXdp(interface, { mode })',
    );
    const raw = thrown(() => obj.program('on_tp').attachRawTracepoint('sys_enter'));
    expect(raw.message).toContain(
      'on_tp is a program of type tracepoint (SEC("tp/raw_syscalls/sys_enter")), and a raw tracepoint takes SEC("raw_tp/<name>") programs; attach it with attachTracepoint(category, name)',
    );
    const uprobe = thrown(() => obj.program('on_tp_btf').attachUprobe('/bin/true', { offset: 0 }));
    expect(uprobe.message).toContain('attach it with attachTrace()');
  });

  it('attach() on a program whose hook is chosen at run time names the method to use', () => {
    const { obj } = load();
    const xdp = thrown(() => obj.program('not_tracing').attach());
    expect(xdp.code).toBe('INVALID');
    expect(xdp.message).toBe(
      'attach program not_tracing by its section xdp: XDP on an interface is chosen at run time, not in the section: use program.attachXdp(interface, { mode })',
    );
    const bare = thrown(() => obj.program('on_bare_kprobe').attach());
    expect(bare.message).toContain(
      'the section names no hook: use program.attachKprobe(function, { retprobe }), or name it in the section',
    );
    const uprobe = thrown(() => obj.program('on_uprobe').attach());
    expect(uprobe.message).toContain('use program.attachUprobe(binary,');
  });

  it('without tracefs, a tracepoint attach says to mount it (in a private mount namespace)', () => {
    const reported = runChild(
      [
        'unshare',
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'umount /sys/kernel/tracing && exec "$@"',
        'sh',
      ],
      `import { BpfObject } from '@bpfmaps/runtime';
       const obj = BpfObject.load(${JSON.stringify(object)});
       report('tracepoint', () => obj.program('on_tp').attachTracepoint('raw_syscalls', 'sys_enter'));
       report('bySection', () => obj.program('on_tp').attach());`,
    );
    for (const r of [reported.tracepoint!, reported.bySection!]) {
      expect(r.code).toBe('NOT_FOUND');
      expect(r.message).toContain(
        'tracefs is not mounted, and tracepoints are found by name through it: mount -t tracefs nodev /sys/kernel/tracing (or call ensureTracefs())',
      );
    }
  });

  it('kprobe and kretprobe: exercised where the kernel has kprobes, else a clear NOT_SUPPORTED', () => {
    const { obj, count } = load();
    const prog = obj.program('on_kprobe');
    const hasKprobes =
      existsSync('/sys/bus/event_source/devices/kprobe') ||
      existsSync('/sys/kernel/tracing/kprobe_events');
    if (hasKprobes) {
      firesUntilClosed(prog.attach(), count, SLOT.kprobe);
      firesUntilClosed(prog.attachKprobe('do_sys_openat2'), count, SLOT.kprobe);
      firesUntilClosed(prog.attachKprobe('do_sys_openat2', { retprobe: true }), count, SLOT.kprobe);
      const missing = thrown(() => prog.attachKprobe('bpfmaps_no_such_function'));
      expect(missing.code).toBe('NOT_FOUND');
      expect(missing.message).toContain('this kernel has no function bpfmaps_no_such_function');
      return;
    }
    for (const [what, attach] of [
      ['kprobe', () => prog.attachKprobe('do_sys_openat2')],
      ['kretprobe', () => prog.attachKprobe('do_sys_openat2', { retprobe: true })],
      ['kprobe by section', () => prog.attach()],
    ] as const) {
      const e = thrown(attach);
      expect(e.code, what).toBe('NOT_SUPPORTED');
      expect(e.message, what).toContain(
        'this kernel has no kprobes (built without CONFIG_KPROBES: no kprobe PMU in /sys/bus/event_source/devices, no kprobe_events in tracefs); attach to a tracepoint, raw tracepoint or BTF tracepoint (tp_btf) instead',
      );
    }
    console.log(
      'not exercised on this kernel: kprobe and kretprobe attach (no kprobes: CONFIG_KPROBES is off); checked their errors instead',
    );
  });

  it('fentry: exercised where the kernel allows it, else the load error says this kernel refuses fentry', () => {
    const fentry = compileBpf(FENTRY, { args: [TARGET_ARCH, '-Wno-unused-parameter'] });
    let obj: BpfObject;
    try {
      obj = handles.add(BpfObject.load(fentry));
    } catch (error) {
      const e = error as { code: string; errno: number; message: string };
      expect([e.code, e.errno]).toEqual(['PERMISSION', 1]);
      expect(e.message).toContain(
        `load object ${fentry}: EPERM (errno 1): loading program on_fentry, which can be left out (setAutoload('on_fentry', false) before load(), or BpfObject.open(path, { programs })); this process has the capabilities`,
      );
      expect(e.message).toContain(
        'and this kernel still refuses fentry program on_fentry: it does not allow fentry/fexit (BPF trampolines) here; attach a kprobe, a raw tracepoint or a BTF tracepoint (tp_btf) instead',
      );
      console.log(
        'not exercised on this kernel: fentry/fexit attach (the kernel refuses to load fentry programs: EPERM); checked the load error instead',
      );
      return;
    }
    const counts = handles.add(countsMap.open(obj.map('counts')));
    handles.add(targetMap.open(obj.map('target'))).set(0, process.pid);
    const link = obj.program('on_fentry').attach();
    syscalls();
    expect(counts.get(SLOT.fentry)).toBeGreaterThan(0n);
    link.close();
  });
});

describeWith(['bpf', 'clang', 'libbpf-headers', 'cc'], 'attaching uprobes', () => {
  const TARGET = `#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) int bpfmaps_probed(int x) { __asm__ volatile(""); return x * 2; }
int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 0;
	long sum = 0;
	for (int i = 0; i < n; i++) sum += bpfmaps_probed(i);
	printf("%ld\\n", sum);
	return 0;
}
`;
  let binary: string;
  let object: string;
  beforeAll(() => {
    const dir = tempDir('bpfmaps-uprobe-');
    writeFileSync(join(dir, 'target.c'), TARGET);
    binary = join(dir, 'target');
    execFileSync('cc', ['-O1', '-o', binary, join(dir, 'target.c')]);
    object = compileBpf(TRACING, { args: [TARGET_ARCH, '-Wno-unused-parameter'] });
  });

  it('uprobe and uretprobe on a function of a binary: every call and every return value counted', () => {
    const obj = handles.add(BpfObject.load(object));
    const counts = handles.add(countsMap.open(obj.map('counts')));
    const entry = obj.program('on_uprobe').attachUprobe(binary, { function: 'bpfmaps_probed' });
    const exit = obj
      .program('on_uretprobe')
      .attachUprobe(binary, { function: 'bpfmaps_probed', retprobe: true });
    expect(entry.description).toBe(`program on_uprobe -> uprobe ${binary}:bpfmaps_probed`);
    expect(execFileSync(binary, ['50'], { encoding: 'utf8' }).trim()).toBe(String(50 * 49));
    expect(counts.get(SLOT.uprobe)).toBe(50n);
    expect(counts.get(SLOT.uretprobe)).toBe(BigInt(50 * 49));
    entry.close();
    exit.close();
    execFileSync(binary, ['10']);
    expect(counts.get(SLOT.uprobe)).toBe(50n);
  });

  it('uprobe failures name the file, the function or the process', () => {
    const obj = handles.add(BpfObject.load(object));
    const prog = obj.program('on_uprobe');
    const noFile = thrown(() => prog.attachUprobe('/nonexistent/bin', { function: 'main' }));
    expect(noFile.code).toBe('NOT_FOUND');
    expect(noFile.message).toContain(
      'attach program on_uprobe to uprobe /nonexistent/bin:main: ENOENT (errno 2): there is no file /nonexistent/bin',
    );
    const noFunction = thrown(() => prog.attachUprobe(binary, { function: 'bpfmaps_nothing' }));
    expect(noFunction.code).toBe('NOT_FOUND');
    expect(noFunction.message).toContain(`${binary} has no function bpfmaps_nothing`);
    const nothing = thrown(() => prog.attachUprobe(binary));
    expect(nothing.message).toContain("name the function to probe ({ function: 'main' })");
    // pid_max is at most 2^22: no process has this pid.
    const noProcess = thrown(() =>
      prog.attachUprobe(binary, { function: 'bpfmaps_probed', pid: 4_194_304 + 1 }),
    );
    expect(noProcess.code).toBe('NOT_FOUND');
    expect(noProcess.message).toContain('no process has pid 4194305');
  });
});
