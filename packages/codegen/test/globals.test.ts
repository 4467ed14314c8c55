/**
 * The globals of the `globals` fixture, end to end: two C files include its
 * header and are linked with bpftool gen object, the generated module's
 * openGlobals() configures the object before load and reads and writes it
 * after, and const volatile config lets the verifier prune what it rules out.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpfObject, type BpfError } from '@bpfmaps/runtime';
import { btfOf, compileBpf, describeWith, tempDir } from '@bpfmaps/testing';
import { globals, hash, struct, u32 } from '@bpfmaps/schema';
import { describe, expect, it } from 'vitest';
import { checkKernelNames, generate, generateFromFile } from '../src/index.js';
import { fixtures } from './fixtures.js';

const dir = fixtures.find((f) => f.name === 'globals')!.dir;

const COUNT = `#include "maps.h"

/* Runs in the calling task under BPF_PROG_TEST_RUN: the pid is the test's. */
SEC("raw_tp/sys_enter")
int count(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u32 key = 0;

	(void)ctx;
	__sync_fetch_and_add(&runs, 1);
	if (mode == MODE_ONLY_PID && pid != targ_pid)
		return 0;
	__sync_fetch_and_add(&matched, 1);
	if (verbose) {
		/* No NULL check: the verifier refuses this unless verbose is known to be false. */
		__u64 *last = seen_lookup(&key);
		return *last;
	}
	return answer + filter.port;
}

char LICENSE_count[] SEC("license") = "GPL";
`;

const PER_CPU = `#include "maps.h"

SEC("raw_tp/sys_enter")
int per_cpu(void *ctx)
{
	(void)ctx;
	__sync_fetch_and_add(&by_cpu[bpf_get_smp_processor_id() & 3], 1);
	return 0;
}
`;

interface Gen {
  openGlobals(obj: BpfObject): {
    config: {
      targ_pid: number;
      mode: string | number;
      verbose: boolean;
      filter: { port: number; proto: number };
      comm: string;
      addr: string;
      min_ns: number;
    };
    counters: { runs: bigint; matched: bigint; by_cpu: number[] };
    tunables: { answer: number };
  };
}

function thrown(fn: () => unknown): BpfError {
  try {
    fn();
  } catch (e) {
    return e as BpfError;
  }
  throw new Error('expected an error');
}

describeWith(['clang', 'libbpf-headers', 'bpftool', 'bpf'], 'globals from the header', () => {
  const linked = join(tempDir('bpfmaps-globals-'), 'linked.bpf.o');
  execFileSync('bpftool', [
    'gen',
    'object',
    linked,
    compileBpf(COUNT, { includes: [dir] }),
    compileBpf(PER_CPU, { includes: [dir] }),
  ]);
  const gen = () => import(join(dir, 'maps.gen.ts')) as Promise<Gen>;
  // On another CPU (testRun's cpu) the program would run in whatever task is there: not ours.
  const run = (obj: BpfObject, program: string, times: number, cpu?: number) => {
    let retval = 0;
    for (let i = 0; i < times; i++)
      retval = obj.program(program).testRun(cpu === undefined ? {} : { cpu }).retval;
    return retval;
  };

  it('two C files that include the header link into one of each global', () => {
    const types = btfOf(linked).types;
    const names = ['targ_pid', 'filter', 'comm', 'runs', 'by_cpu', 'answer'];
    for (const name of names)
      expect(
        types.filter((t) => t.kind === 'VAR' && t.name === name),
        name,
      ).toHaveLength(1);
    using obj = BpfObject.open(linked);
    const found = obj.globalInfo().map((g) => `${g.section} ${g.name}`);
    expect(found.sort()).toEqual(
      [
        '.rodata targ_pid',
        '.rodata mode',
        '.rodata verbose',
        '.rodata filter',
        '.rodata comm',
        '.rodata addr',
        '.rodata min_ns',
        '.bss runs',
        '.bss matched',
        '.bss by_cpu',
        '.data answer',
      ].sort(),
    );
  });

  it('config set before load filters by pid: another pid counts nothing', async () => {
    const { openGlobals } = await gen();
    {
      using obj = BpfObject.open(linked);
      const g = openGlobals(obj);
      g.config.mode = 'ONLY_PID';
      g.config.targ_pid = 1;
      obj.load();
      expect(run(obj, 'count', 4)).toBe(0);
      expect(g.counters).toEqual({ runs: 4n, matched: 0n, by_cpu: [0, 0, 0, 0] });
    }
    using obj = BpfObject.open(linked);
    const g = openGlobals(obj);
    g.config.mode = 'ONLY_PID';
    g.config.targ_pid = process.pid;
    g.config.filter = { port: 8080, proto: 6 };
    g.config.comm = 'syscount';
    g.config.addr = '10.0.0.1';
    g.config.min_ns = 2 ** 40;
    obj.load();
    expect(run(obj, 'count', 4)).toBe(8080);
    expect(g.counters.matched).toBe(4n);
    expect(g.config).toEqual({
      targ_pid: process.pid,
      mode: 'ONLY_PID',
      verbose: false,
      filter: { port: 8080, proto: 6 },
      comm: 'syscount',
      addr: '10.0.0.1',
      min_ns: 2 ** 40,
    });
  });

  it('config after load is refused and keeps its value', async () => {
    const { openGlobals } = await gen();
    using obj = BpfObject.open(linked);
    const g = openGlobals(obj);
    g.config.targ_pid = 7;
    expect(() => (g.config.targ_pid = -1)).toThrow(
      `global targ_pid of object ${linked}: expected an integer in 0..4294967295 (u32), received -1`,
    );
    obj.load();
    const e = thrown(() => (g.config.targ_pid = 8));
    expect(e.code).toBe('PERMISSION');
    expect(e.message).toContain('.rodata is read-only once the object is loaded');
    expect(g.config.targ_pid).toBe(7);
  });

  it('struct and array members write through; the groups are frozen', async () => {
    const { openGlobals } = await gen();
    using obj = BpfObject.open(linked);
    const g = openGlobals(obj);
    g.config.filter = { port: 1, proto: 17 };
    g.config.filter.port = 9999;
    expect(g.config.filter).toEqual({ port: 9999, proto: 17 });
    const e = thrown(() => (g.config.filter.port = 70000)) as unknown as Error;
    expect(e.message).toBe(
      `global filter of object ${linked}: PortFilter.port: expected an integer in 0..65535 (u16), received 70000`,
    );
    expect(g.config.filter.port).toBe(9999);
    expect(JSON.stringify(g.config)).toContain('"filter":{"port":9999,"proto":17}');
    expect(() => {
      (g as { config: unknown }).config = { targ_pid: 1 };
    }).toThrow(TypeError);
    expect(() => delete (g.config.filter as { port?: number }).port).toThrow(
      "cannot delete a member of a global's value in place",
    );
    obj.load();
    expect(run(obj, 'count', 1)).toBe(9999);
    run(obj, 'per_cpu', 2, 0);
    const byCpu = g.counters.by_cpu;
    expect(byCpu[0]).toBe(2);
    byCpu[0] = 40; // .bss: an array element written into the kernel map
    expect(g.counters.by_cpu).toEqual([40, 0, 0, 0]);
    run(obj, 'per_cpu', 1, 0);
    expect(byCpu[0]).toBe(41); // a view held across kernel updates reads afresh
    expect(() => (byCpu[1] = -1)).toThrow(
      `global by_cpu[1] of object ${linked}: expected an integer in 0..4294967295 (u32), received -1`,
    );
  });

  it('.bss counters and .data values are the kernel memory once loaded', async () => {
    const { openGlobals } = await gen();
    using obj = BpfObject.load(linked);
    const g = openGlobals(obj);
    run(obj, 'per_cpu', 3, 0);
    expect(g.counters.by_cpu).toEqual([3, 0, 0, 0]);
    expect(run(obj, 'count', 2)).toBe(0);
    g.tunables.answer = 40;
    expect(run(obj, 'count', 1)).toBe(40);
    expect(g.counters.runs).toBe(3n);
    expect(g.counters.matched).toBe(3n);
  });

  it('the verifier prunes what const volatile config rules out', async () => {
    const { openGlobals } = await gen();
    using obj = BpfObject.open(linked);
    openGlobals(obj).config.verbose = true;
    const e = thrown(() => obj.load());
    expect(e.code).toBe('VERIFIER');
    expect(e.log).toContain("invalid mem access 'map_value_or_null'");
    // verbose false (the default) is the object the other tests load.
  });

  it('openGlobals lists every global an object lacks, before anything is read', async () => {
    const { openGlobals } = await gen();
    const plain = compileBpf(
      '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n__u64 runs = 0;\nSEC("xdp")\nint x(struct xdp_md *c)\n{\n\t(void)c;\n\treturn runs++;\n}\nchar LICENSE[] SEC("license") = "GPL";\n',
    );
    using obj = BpfObject.open(plain);
    const e = thrown(() => openGlobals(obj));
    expect(e.code).toBe('INCOMPATIBLE');
    expect(e.message).toContain(`open globals config of object ${plain}: the globals differ`);
    expect(e.message).toContain("targ_pid: not in the object's BTF");
    expect(e.message).toContain("min_ns: not in the object's BTF");
  });

  it('after close every global throws CLOSED', async () => {
    const { openGlobals } = await gen();
    const obj = BpfObject.load(linked);
    const g = openGlobals(obj);
    obj.close();
    expect(thrown(() => g.counters.runs).code).toBe('CLOSED');
    expect(thrown(() => (g.tunables.answer = 1)).code).toBe('CLOSED');
    expect(thrown(() => openGlobals(obj)).code).toBe('CLOSED');
  });
});

describeWith(['clang', 'libbpf-headers', 'bpftool'], 'the header beside vmlinux.h', () => {
  it('compiles with globals after vmlinux.h', () => {
    const vmlinux = tempDir('bpfmaps-vmlinux-');
    writeFileSync(
      join(vmlinux, 'vmlinux.h'),
      execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], {
        maxBuffer: 1 << 28,
      }),
    );
    const object = compileBpf(`#include "vmlinux.h"\n${COUNT}`, { includes: [vmlinux, dir] });
    const vars = btfOf(object)
      .types.filter((t) => t.kind === 'VAR')
      .map((t) => t.name);
    expect(vars).toEqual(expect.arrayContaining(['targ_pid', 'runs', 'answer']));
  });

  it('codegen --vmlinux refuses a global named like a kernel typedef', () => {
    expect(() =>
      checkKernelNames({ config: globals('.rodata', { pid_t: u32 }) }, 'maps.schema.ts'),
    ).toThrow('global pid_t is declared by the kernel too: rename the global');
  });
});

describe('generated globals', () => {
  it('are reproducible byte for byte', async () => {
    const schema = fixtures.find((f) => f.name === 'globals')!.schema;
    const [a, b] = [await generateFromFile(schema), await generateFromFile(schema)];
    expect(b).toEqual(a);
  });
});

describe('names globals may not take', () => {
  const options = { source: 'maps.schema.ts', header: '/tmp/maps.h', module: '/tmp/maps.gen.ts' };
  it('a function or macro of the header: a map helper, a libbpf helper', async () => {
    const seen = hash('seen', { key: u32, value: u32, maxEntries: 4 });
    await expect(
      generate({ seen, config: globals('.rodata', { seen_lookup: u32 }) }, options),
    ).rejects.toThrow(
      'global seen_lookup: export config declares it, but the generated header has a function or macro of that name. Rename the global',
    );
    await expect(
      generate({ config: globals('.data', { bpf_map_lookup_elem: u32 }) }, options),
    ).rejects.toThrow(
      'global bpf_map_lookup_elem is declared by <bpf/bpf_helper_defs.h> too: rename the global',
    );
  });

  it('what the generated module defines is claimed once', async () => {
    const ConfigGlobals = struct('ConfigGlobals', { x: u32 });
    const config = globals('.rodata', { settings: ConfigGlobals });
    await expect(generate({ config }, options)).rejects.toThrow(
      'globals config: the generated module needs "ConfigGlobals" for globals config, but it is already struct ConfigGlobals. Rename the declaration',
    );
  });
});
