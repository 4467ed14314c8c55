/**
 * Globals of objects built without bpfmaps, by name: .rodata set before load
 * changes what the verifier lets through and what the program does, .bss
 * and .data are the kernel's memory once loaded.
 */
import { compileBpf, describeWith } from '@bpfmaps/testing';
import { EncodeError, globals, i32, struct, u16, u32, u64, u8 } from '@bpfmaps/schema';
import { expect, it } from 'vitest';
import { BpfObject, globalsFromSchema, referenceCodec } from '../src/index.js';
import { thrown } from './helpers.js';

const PROGRAM = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct filter {
	__u16 port;
	__u8 proto;
};

const volatile __u32 targ_pid = 0;
const volatile struct filter filter = {};
__u64 runs = 0;
__u64 matched = 0;
__u32 answer SEC(".data") = 7;
__u32 custom SEC(".data.custom") = 3;

/* Runs in the calling task under BPF_PROG_TEST_RUN: the pid is the test's. */
SEC("raw_tp/sys_enter")
int count_pid(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	(void)ctx;
	__sync_fetch_and_add(&runs, 1);
	if (targ_pid && pid != targ_pid)
		return 0;
	__sync_fetch_and_add(&matched, 1);
	custom += 1;
	return answer + filter.port;
}

char LICENSE[] SEC("license") = "GPL";
`;

const Filter = struct('Filter', { port: u16, proto: u8 });

describeWith(['bpf', 'clang', 'libbpf-headers'], 'globals by name', () => {
  const path = compileBpf(PROGRAM);
  const run = (obj: BpfObject, times: number) => {
    const prog = obj.program('count_pid');
    let retval = 0;
    for (let i = 0; i < times; i++) retval = prog.testRun().retval;
    return retval;
  };

  it('lists every variable of .rodata, .data, .bss and custom sections, from BTF', () => {
    using obj = BpfObject.open(path);
    const found = obj.globalInfo().map(({ name, section, size, frozenAtLoad }) => ({
      name,
      section,
      size,
      frozenAtLoad,
    }));
    expect(found.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'answer', section: '.data', size: 4, frozenAtLoad: false },
      { name: 'custom', section: '.data.custom', size: 4, frozenAtLoad: false },
      { name: 'filter', section: '.rodata', size: 4, frozenAtLoad: true },
      { name: 'matched', section: '.bss', size: 8, frozenAtLoad: false },
      { name: 'runs', section: '.bss', size: 8, frozenAtLoad: false },
      { name: 'targ_pid', section: '.rodata', size: 4, frozenAtLoad: true },
    ]);
    const filter = obj.globalInfo().find((g) => g.name === 'filter')!.type;
    expect(filter.kind === 'struct' && filter.members).toEqual([
      { name: 'port', bitOffset: 0, bits: 0, type: { kind: 'int', size: 2, signed: false } },
      { name: 'proto', bitOffset: 16, bits: 0, type: { kind: 'int', size: 1, signed: false } },
    ]);
  });

  it('reads initial values before load, from the image libbpf loads', () => {
    using obj = BpfObject.open(path);
    expect(obj.global('answer', u32).get()).toBe(7);
    expect(obj.global('custom', referenceCodec(u32)).get()).toBe(3);
    expect(obj.global('runs', u64).get()).toBe(0n);
  });

  it('a .rodata filter set before load: another pid counts nothing, ours counts every run', () => {
    {
      using other = BpfObject.open(path);
      other.global('targ_pid', u32).set(1); // init, never the test
      other.load();
      expect(run(other, 5)).toBe(0);
      expect(other.global('runs', u64).get()).toBe(5n);
      expect(other.global('matched', u64).get()).toBe(0n);
    }
    using mine = BpfObject.open(path);
    mine.global('targ_pid', u32).set(process.pid);
    mine.global('filter', Filter).set({ port: 100, proto: 6 });
    mine.load();
    expect(run(mine, 5)).toBe(107);
    expect(mine.global('matched', u64).get()).toBe(5n);
    expect(mine.global('filter', Filter).get()).toEqual({ port: 100, proto: 6 });
  });

  it('.rodata set after load is refused and keeps its value', () => {
    using obj = BpfObject.open(path);
    const pid = obj.global('targ_pid', u32);
    pid.set(1);
    obj.load();
    const e = thrown(() => pid.set(process.pid));
    expect(e.code).toBe('PERMISSION');
    expect(e.message).toBe(
      `set global targ_pid of object ${path}: .rodata is read-only once the object is loaded (the kernel froze it); set it between BpfObject.open() and load()`,
    );
    expect(pid.get()).toBe(1);
    expect(run(obj, 2)).toBe(0);
  });

  it('.bss counters the program increments are read through the mapped memory', () => {
    using obj = BpfObject.load(path);
    const runs = obj.global('runs', u64);
    const custom = obj.global('custom', u32);
    for (let n = 1; n <= 4; n++) {
      run(obj, 1);
      expect(runs.get()).toBe(BigInt(n));
      expect(custom.get()).toBe(3 + n);
    }
  });

  it('.data written from TS after load is what the program sees at once', () => {
    using obj = BpfObject.load(path);
    const answer = obj.global('answer', u32);
    expect(run(obj, 1)).toBe(7);
    answer.set(42);
    expect(run(obj, 1)).toBe(42);
    obj.global('runs', u64).set(1000n);
    run(obj, 1);
    expect(obj.global('runs', u64).get()).toBe(1001n);
  });

  it('a value that does not fit is refused before anything is written', () => {
    using obj = BpfObject.load(path);
    const answer = obj.global('answer', u32);
    expect(() => answer.set(-1)).toThrow(EncodeError);
    expect(() => answer.set(2 ** 32)).toThrow(
      `global answer of object ${path}: u32: expected an integer in 0..4294967295 (u32), received 4294967296`,
    );
    expect(answer.get()).toBe(7);
    using opened = BpfObject.open(path);
    const filter = opened.global('filter', Filter);
    expect(() => filter.set({ port: 70000, proto: 6 })).toThrow(
      `global filter of object ${path}: Filter.port: expected an integer in 0..65535 (u16), received 70000`,
    );
  });

  it('an unknown name lists the globals there are; a codec of another size is refused', () => {
    using obj = BpfObject.open(path);
    const e = thrown(() => obj.global('targ_tgid', u32));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain(
      `find global targ_tgid: object ${path} has no such global variable; it has: `,
    );
    expect(e.message).toContain('targ_pid (.rodata)');
    expect(e.message).toContain('runs (.bss)');
    const size = thrown(() => obj.global('targ_pid', u64));
    expect(size.code).toBe('INCOMPATIBLE');
    expect(size.message).toBe(
      `open global targ_pid of object ${path}: the variable is 4 bytes in .rodata, the codec 8; use a type of 4 bytes`,
    );
  });

  it('a schema type is compared with the BTF member by member; anything else is refused', () => {
    using obj = BpfObject.open(path);
    // Same size as struct filter, members swapped: reading it would mix them up.
    const Swapped = struct('Filter', { proto: u8, pad: u8, port: u16 });
    const e = thrown(() => obj.global('filter', Swapped));
    expect(e.code).toBe('INCOMPATIBLE');
    expect(e.message).toContain(
      `open global filter of object ${path}: the type differs from the object's BTF (`,
    );
    expect(e.message).toContain('filter.proto: schema says offset 0, BTF says offset 2');
    expect(e.message).toContain('filter.port: schema says offset 2, BTF says offset 0');
    expect(thrown(() => obj.global('targ_pid', i32)).message).toContain(
      'targ_pid: schema says signed __s32, BTF says unsigned __u32',
    );
    const text = thrown(() => obj.global('targ_pid', 'u32' as never));
    expect(text.code).toBe('INVALID');
    expect(text.message).toBe(
      `open global targ_pid of object ${path}: expected a schema type (such as u32 from @bpfmaps/schema) or a codec, received "u32"`,
    );
    // A codec states only its size: that much is checked.
    expect(obj.global('targ_pid', referenceCodec(i32)).get()).toBe(0);
  });

  it('an array element set out of range names the element and the object once', () => {
    using obj = BpfObject.open(path);
    const g = globalsFromSchema(obj, globals('.rodata', { filter: Filter }));
    expect(() => (g.filter.port = -1)).toThrow(
      `global filter of object ${path}: Filter.port: expected an integer in 0..65535 (u16), received -1`,
    );
  });

  it('every access after close throws CLOSED, before and after load', () => {
    for (const load of [false, true]) {
      const obj = BpfObject.open(path);
      if (load) obj.load();
      const pid = obj.global('targ_pid', u32);
      const runs = obj.global('runs', u64);
      obj.close();
      for (const use of [
        () => pid.get(),
        () => pid.set(1),
        () => runs.get(),
        () => runs.set(1n),
        () => obj.global('runs', u64),
        () => obj.globalInfo(),
      ])
        expect(thrown(use).code).toBe('CLOSED');
      expect(thrown(() => runs.get()).message).toBe(
        `read global runs of object ${path} (the object is closed): the handle is closed`,
      );
    }
  });

  it('a schema declaration checks the object and gives typed accessors', () => {
    const config = globals('.rodata', { targ_pid: u32, filter: Filter });
    const counters = globals('.bss', { runs: u64, matched: u64 });
    using obj = BpfObject.open(path);
    const g = globalsFromSchema(obj, config);
    g.targ_pid = process.pid;
    g.filter = { port: 1, proto: 17 };
    expect(Object.keys(g)).toEqual(['targ_pid', 'filter']);
    expect(() => ((g as Record<string, unknown>).targ_tgid = 1)).toThrow(TypeError);
    obj.load();
    const c = globalsFromSchema(obj, counters);
    run(obj, 3);
    expect(c).toEqual({ runs: 3n, matched: 3n });
    expect(thrown(() => (g.targ_pid = 1)).code).toBe('PERMISSION');
    expect(g.targ_pid).toBe(process.pid);
  });

  it('a declaration the object does not match is INCOMPATIBLE, listing every difference', () => {
    using obj = BpfObject.open(path);
    const wrong = globals('.rodata', {
      targ_pid: u64,
      filter: struct('Filter', { port: u32, proto: u8 }),
      answer: u32,
      missing: u8,
    });
    const e = thrown(() => globalsFromSchema(obj, wrong));
    expect(e.code).toBe('INCOMPATIBLE');
    expect(e.message).toBe(
      `open globals .rodata of object ${path}: the globals differ from the schema (` +
        'targ_pid: schema says size 8, BTF says 4; ' +
        'filter: schema says size 8, BTF says 4; ' +
        'answer: schema says section .rodata, BTF says .data; ' +
        "missing: not in the object's BTF (build with clang -g, including the generated header without BPFMAPS_NO_GLOBALS, or define the variable yourself)). " +
        'If the schema changed, regenerate the header and rebuild the BPF object',
    );
  });
});
