/**
 * Headers beside vmlinux.h (CO-RE programs), and objects built from a header
 * of another version of the schema than the module that opens them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfObject, type BpfError } from '@bpfmaps/runtime';
import { compileBpf, describeWith, tempDir } from '@bpfmaps/testing';
import { afterAll, expect, it } from 'vitest';
import { ringbuf, struct, u32 } from '@bpfmaps/schema';
import {
  checkKernelNames,
  generate,
  generateFromFile,
  loadSchemaModule,
  writeAtomically,
} from '../src/index.js';
import { fixtures } from './fixtures.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describeWith(['clang', 'libbpf-headers', 'bpftool', 'bpf'], 'headers beside vmlinux.h', () => {
  const vmlinux = tempDir('bpfmaps-vmlinux-');
  writeFileSync(
    join(vmlinux, 'vmlinux.h'),
    execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], {
      maxBuffer: 1 << 28,
    }),
  );

  it.each(fixtures)(
    '$name: compiles after vmlinux.h exactly when codegen --vmlinux accepts it',
    async ({ dir, schema }) => {
      let accepted = true;
      try {
        checkKernelNames(
          await loadSchemaModule(schema),
          'maps.schema.ts',
          undefined,
          readFileSync(join(dir, 'maps.h'), 'utf8'),
        );
      } catch {
        accepted = false;
      }
      let compiled = true;
      try {
        compileBpf(
          '#include "vmlinux.h"\n#include "maps.h"\nchar LICENSE[] SEC("license") = "GPL";\n',
          { includes: [vmlinux, dir] },
        );
      } catch {
        compiled = false;
      }
      expect(compiled).toBe(accepted);
    },
  );

  it('a map named like a kernel typedef (config) is refused by --vmlinux, and would not compile after vmlinux.h', async () => {
    const E = struct('E', { a: u32 });
    const module = { E, config: ringbuf('config', { event: E, size: 4096 }) };
    const out = tempDir('bpfmaps-vmlinux-map-');
    const [header] = await generate(module, {
      source: 'maps.schema.ts',
      header: join(out, 'maps.h'),
      module: join(out, 'maps.gen.ts'),
    });
    writeFileSync(header!.path, header!.content);
    expect(() => checkKernelNames(module, 'maps.schema.ts', undefined, header!.content)).toThrow(
      'map config is a name the kernel declares too (a typedef or enum constant in vmlinux.h): rename the map',
    );
    expect(() =>
      compileBpf(
        '#include "vmlinux.h"\n#include "maps.h"\nchar LICENSE[] SEC("license") = "GPL";\n',
        {
          includes: [vmlinux, out],
        },
      ),
    ).toThrow(/config/);
  });

  it("a CO-RE tracepoint program reads the task with BPF_CORE_READ and counts into the schema's map", async () => {
    const dir = fixtures.find((f) => f.name === 'core')!.dir;
    const source = `#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "maps.h"

SEC("tracepoint/raw_syscalls/sys_enter")
int count_calls(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct call_stats *stats = calls_by_tgid_lookup_or_init(&tgid);

	(void)ctx;
	if (!stats)
		return 0;
	calls_by_tgid_add_calls(stats, 1);
	bpf_get_current_comm(stats->comm, sizeof(stats->comm));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;
    const object = compileBpf(source, { includes: [vmlinux, dir] });
    const gen = await import(join(dir, 'maps.gen.ts'));
    using obj = BpfObject.load(object);
    using maps = gen.openMaps(obj);
    {
      using link = obj.program('count_calls').attachTracepoint('raw_syscalls', 'sys_enter');
      for (let i = 0; i < 100; i++) statSync('/');
      expect(link.description).toContain('raw_syscalls:sys_enter');
    }
    const mine = maps.calls_by_tgid.get(process.pid) as { calls: bigint; comm: string };
    expect(mine.calls).toBeGreaterThanOrEqual(100n);
    expect(mine.comm.length).toBeGreaterThan(0);
  });
});

describeWith(['clang', 'libbpf-headers', 'bpf'], 'a pair generated apart', () => {
  const WORK = fileURLToPath(new URL('./', import.meta.url));
  const SCHEMA = `import { hash, u32, u64 } from '@bpfmaps/schema';
export const counts = hash('counts', { key: u32, value: u64, maxEntries: MAX });
`;
  const PROGRAM = `#include "maps.h"
SEC("xdp")
int noop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

  it('openMaps refuses an object built from a header of another version of the schema, naming both', async () => {
    const dir = mkdtempSync(join(WORK, '.work-pair-'));
    dirs.push(dir);
    const schema = join(dir, 'maps.schema.ts');
    writeFileSync(schema, SCHEMA.replace('MAX', '8'));
    writeAtomically(await generateFromFile(schema));
    const object = compileBpf(PROGRAM, { includes: [dir] });
    const oldModule = join(dir, 'old.gen.ts');
    copyFileSync(join(dir, 'maps.gen.ts'), oldModule);
    const hashOf = (path: string) =>
      /bpfmaps schema ([0-9a-f]{16})/.exec(readFileSync(path, 'utf8'))![1]!;
    const built = hashOf(join(dir, 'maps.h'));

    // The module of the same run opens the object.
    using obj = BpfObject.load(object);
    expect(obj.schemaHashes()).toEqual([built]);
    const same = await import(oldModule);
    same.openMaps(obj).close();

    // Regenerated (maxEntries 9) but the object not rebuilt: refused before any map is opened.
    writeFileSync(schema, SCHEMA.replace('MAX', '9'));
    writeAtomically(await generateFromFile(schema));
    const fresh = await import(join(dir, 'maps.gen.ts'));
    let error: Partial<BpfError> = {};
    try {
      fresh.openMaps(obj);
    } catch (e) {
      error = e as BpfError;
    }
    expect(error.code).toBe('INCOMPATIBLE');
    expect(error.message).toContain(
      `it was built from a header of another version of maps.schema.ts (header ${built}, module ${hashOf(join(dir, 'maps.h'))})`,
    );
    expect(error.message).toContain('run codegen on maps.schema.ts and rebuild the object');
  });
});

describeWith(['clang', 'libbpf-headers', 'bpftool', 'bpf'], "the header's schema hash", () => {
  const dirOf = (name: string) => fixtures.find((f) => f.name === name)!.dir;
  const hashOf = (dir: string) =>
    /bpfmaps schema ([0-9a-f]{16})/.exec(readFileSync(join(dir, 'maps.h'), 'utf8'))![1]!;
  /** bpftool's libbpf prints its warnings and information on stderr. */
  const bpftool = (...args: string[]) => {
    const r = spawnSync('bpftool', args, { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout;
  };

  it('survives bpftool gen object and llvm-strip -g, and libbpf has nothing to say about it', () => {
    const program = (fn: string) =>
      `#include "maps.h"\nSEC("xdp")\nint ${fn}(struct xdp_md *ctx)\n{\n\t(void)ctx;\n\treturn XDP_PASS;\n}\nchar LICENSE_${fn}[] SEC("license") = "GPL";\n`;
    const a = compileBpf(program('a'), { includes: [dirOf('scalars')] });
    const b = compileBpf(program('b'), { includes: [dirOf('percpu')] });
    const again = compileBpf(program('c'), { includes: [dirOf('scalars')] });
    const dir = tempDir('bpfmaps-linked-');
    dirs.push(dir);
    const linked = join(dir, 'linked.bpf.o');
    const stripped = join(dir, 'stripped.bpf.o');
    bpftool('gen', 'object', linked, a, b, again);
    bpftool('gen', 'skeleton', linked); // opens the object as a load does
    // clang's own llvm-strip, where the unversioned one is not installed.
    const strip = execFileSync('clang', ['-print-prog-name=llvm-strip'], {
      encoding: 'utf8',
    }).trim();
    execFileSync(strip, ['-g', linked, '-o', stripped]);
    using obj = BpfObject.load(stripped);
    expect(obj.schemaHashes().sort()).toEqual(
      [hashOf(dirOf('scalars')), hashOf(dirOf('percpu'))].sort(),
    );
    expect(obj.programNames().sort()).toEqual(['a', 'b', 'c']);
  });
});
