import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { btfOf, compileBpf, compileHost, describeWith, tempDir } from '@bpfmaps/testing';
import { expect, it } from 'vitest';
import { fixtures } from './fixtures.js';

// Every golden header is compiled, so clang checks each _Static_assert on
// sizeof and offsetof: the layout engine's numbers against the compiler's.
describeWith(['clang', 'libbpf-headers'], 'golden headers compile for BPF', () => {
  it.each(fixtures)('$name', ({ dir }) => {
    expect(() => compileBpf('#include "maps.h"\n', { includes: [dir] })).not.toThrow();
  });

  it('a wrong offset is caught by the compiler', () => {
    const source = [
      '#include <linux/types.h>',
      'struct s { __u8 a; __u32 b; };',
      '_Static_assert(__builtin_offsetof(struct s, b) == 1, "bpfmaps: S.b must be at offset 1");',
    ].join('\n');
    expect(() => compileBpf(source)).toThrow(/S\.b must be at offset 1/);
  });
});

describeWith(['cc'], 'golden headers compile for the host (types only)', () => {
  it.each(fixtures)('$name', ({ dir }) => {
    expect(() =>
      compileHost(`#include "${join(dir, 'maps.h')}"\nint main(void) { return 0; }\n`),
    ).not.toThrow();
  });
});

describeWith(
  ['clang', 'libbpf-headers', 'bpftool'],
  'a header included by several BPF C files',
  () => {
    it('links into one map per declaration (weak definitions, bpftool gen object)', () => {
      const dir = fixtures.find((f) => f.name === 'padding')!.dir;
      const program = (name: string) => `#include "maps.h"
SEC("xdp")
int ${name}(struct xdp_md *ctx __attribute__((unused)))
{
	struct tail_key key = {};
	return padded_lookup(&key) ? XDP_PASS : XDP_DROP;
}
char LICENSE_${name}[] SEC("license") = "GPL";
`;
      const a = compileBpf(program('prog_a'), { includes: [dir] });
      const b = compileBpf(program('prog_b'), { includes: [dir] });
      const linked = `${tempDir()}/linked.bpf.o`;
      execFileSync('bpftool', ['gen', 'object', linked, a, b]);
      const maps = btfOf(linked).types.filter((t) => t.kind === 'VAR' && t.name === 'padded');
      expect(maps).toHaveLength(1);
    });
  },
);

describeWith(['clang', 'libbpf-headers', 'bpftool'], 'two schema packages in one program', () => {
  it('two maps.h of two schemas are both included: their guards differ', async () => {
    const { generate } = await import('../src/index.js');
    const { hash, struct, u32, u64 } = await import('@bpfmaps/schema');
    const dirs = ['net', 'proc'].map((name) => ({ name, dir: tempDir(`bpfmaps-${name}-`) }));
    for (const { name, dir } of dirs) {
      const Key = struct(`${name[0]!.toUpperCase()}${name.slice(1)}Key`, { id: u32 });
      const files = await generate(
        {
          [`${name}_counts`]: hash(`${name}_counts`, { key: Key, value: u64, maxEntries: 4 }),
          Key,
        },
        { source: 'maps.schema.ts', header: `${dir}/maps.h`, module: `${dir}/maps.gen.ts` },
      );
      writeFileSync(files[0]!.path, files[0]!.content);
    }
    const source = `#include "${dirs[0]!.dir}/maps.h"\n#include "${dirs[1]!.dir}/maps.h"\nchar LICENSE[] SEC("license") = "GPL";\n`;
    const object = compileBpf(source);
    const vars = btfOf(object)
      .types.filter((t) => t.kind === 'VAR')
      .map((t) => t.name);
    expect(vars).toContain('net_counts');
    expect(vars).toContain('proc_counts');
  });
});

describeWith(['clang', 'libbpf-headers', 'cc'], 'two schemas that share a type', () => {
  /** Writes the header of each schema module into a directory of its own; returns the headers. */
  async function headers(schemas: Record<string, Record<string, unknown>>): Promise<string[]> {
    const { generate } = await import('../src/index.js');
    const paths = [];
    for (const [name, module] of Object.entries(schemas)) {
      const dir = tempDir(`bpfmaps-${name}-`);
      const [header] = await generate(module, {
        source: `${name}.schema.ts`,
        header: `${dir}/${name}.h`,
        module: `${dir}/${name}.gen.ts`,
      });
      writeFileSync(header!.path, header!.content);
      paths.push(header!.path);
    }
    return paths;
  }
  const program = (paths: string[]) =>
    `${paths.map((p) => `#include "${p}"`).join('\n')}\nchar LICENSE[] SEC("license") = "GPL";\n`;
  const host = (paths: string[]) =>
    `${paths.map((p) => `#include "${p}"`).join('\n')}\nint main(void) { return 0; }\n`;

  it('both headers go in one BPF program and one host C file: the shared struct and enum are defined once', async () => {
    const { enumType, hash, struct, u32, u8 } = await import('@bpfmaps/schema');
    // b.schema.ts imports K and Proto from a.schema.ts: the same declarations in both.
    const Proto = enumType('Proto', { TCP: 6, UDP: 17 }, { storage: u8 });
    const K = struct('K', { id: u32, proto: Proto });
    const paths = await headers({
      a: { K, Proto, a_counts: hash('a_counts', { key: K, value: u32, maxEntries: 4 }) },
      b: { K, b_counts: hash('b_counts', { key: K, value: K, maxEntries: 4 }) },
    });
    const vars = btfOf(compileBpf(program(paths)))
      .types.filter((t) => t.kind === 'VAR')
      .map((t) => t.name);
    expect(vars).toEqual(expect.arrayContaining(['a_counts', 'b_counts']));
    expect(() => compileHost(host(paths))).not.toThrow();
  });

  it('a struct of the same name but another layout is still a redefinition', async () => {
    const { hash, struct, u32, u64 } = await import('@bpfmaps/schema');
    const paths = await headers({
      a: {
        a_counts: hash('a_counts', { key: struct('K', { id: u32 }), value: u32, maxEntries: 4 }),
      },
      b: {
        b_counts: hash('b_counts', { key: struct('K', { id: u64 }), value: u32, maxEntries: 4 }),
      },
    });
    expect(() => compileBpf(program(paths))).toThrow(/redefinition of 'k'/);
    expect(() => compileHost(host(paths))).toThrow(/redefinition of .?struct k/);
  });
});
