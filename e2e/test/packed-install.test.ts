/**
 * The five public packages as a user gets them: packed with `npm pack` from
 * a copy of their sources without dist/ (so prepack must build them), installed
 * from the tarballs into a project outside the workspace, then used the way the
 * README says: codegen through the installed bin, tsc with skipLibCheck off,
 * clang against the generated header, and plain node; the bpfmaps command
 * on a pinned map, and the exporter as a library.
 *
 * No network: `npm install --offline` takes the tarballs' dependencies from
 * npm's cache, which `npm ci` (scripts/setup.sh) filled for the workspace.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileBpf, describeWith, tempDir } from '@bpfmaps/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGES = ['schema', 'codegen', 'runtime', 'exporter', 'tools'] as const;
const LICENSE_LINE = 'Copyright (c) 2026 The bpfmaps authors';

/** The version the workspace has installed, so npm finds it in its cache. */
function installed(name: string): string {
  const require = createRequire(join(ROOT, 'package.json'));
  return (
    JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
      version: string;
    }
  ).version;
}

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

/** Runs a command that must succeed; its output, or an error with everything it printed. */
function must(cmd: string, args: string[], cwd: string): string {
  const r = run(cmd, args, cwd);
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`,
    );
  return r.stdout;
}

const SCHEMA = `import { hash, struct, u32, u64 } from '@bpfmaps/schema';

export const Stats = struct('Stats', { packets: u64.counter(), bytes: u64.counter() });
export const by_len = hash('by_len', { key: u32, value: Stats, maxEntries: 16, export: true });
`;

const PROGRAM = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "maps.h"

SEC("xdp")
int count(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	struct stats *stats = by_len_lookup_or_init(&len);
	if (stats) {
		by_len_add_packets(stats, 1);
		by_len_add_bytes(stats, len);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

const APP = `import { BpfObject } from '@bpfmaps/runtime';
import { openMaps, type Stats } from './maps.gen.js';

const path = process.argv[2];
if (!path) throw new Error('usage: node dist/app.js <object>');
using obj = BpfObject.load(path);
using maps = openMaps(obj);
const program = obj.program('count');
for (const length of [60, 60, 90]) program.testRun({ data: new Uint8Array(length) });
const stats: Stats | undefined = maps.by_len.get(60);
console.log(\`60: \${stats?.packets} packets, \${stats?.bytes} bytes; \${maps.by_len.count()} lengths\`);
`;

/** The exporter as a library: the generated accessor registered as is, the text printed. */
const METRICS = `import { BpfObject } from '@bpfmaps/runtime';
import { Registry, registerMaps } from '@bpfmaps/exporter';
import { by_len } from './maps.schema.js';
import { openMaps } from './maps.gen.js';

using obj = BpfObject.load(process.argv[2]!);
using maps = openMaps(obj);
for (const length of [60, 60, 90]) obj.program('count').testRun({ data: new Uint8Array(length) });
const registry = new Registry();
registerMaps(registry, [{ decl: by_len, map: maps.by_len }], { labels: { key: 'length' } });
console.log(await registry.metrics());
if (process.argv[3]) maps.by_len.raw.pin(process.argv[3]);
`;

// A consumer as strict as they come: skipLibCheck off checks every .d.ts the
// packages ship and every .d.ts those pull in; lib ES2023 (what Node 20 runs)
// has no ES2025 globals such as Float16Array.
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    types: ['node'],
    outDir: 'dist',
  },
  include: ['*.ts'],
};

/** Imports everything that needs no libbpf, then uses a map two ways; prints what happened. */
const NO_LIBBPF = `import { struct, u32 } from '@bpfmaps/schema';
import { BpfError, BpfObject, referenceCodec } from '@bpfmaps/runtime';
import { StatsCodec, createMaps } from './dist/maps.gen.js';

const view = new DataView(new ArrayBuffer(StatsCodec.size));
StatsCodec.encode(view, 0, { packets: 1n, bytes: 2n });
const stats = StatsCodec.decode(view, 0);
const layout = referenceCodec(struct('Pair', { a: u32, b: u32 })).size;
const attempt = (use) => {
  try {
    use();
    return 'no error';
  } catch (error) {
    return { bpfError: error instanceof BpfError, code: error.code, message: error.message };
  }
};
console.log(JSON.stringify({
  decoded: \`\${stats.packets}/\${stats.bytes}\`,
  layout,
  create: attempt(() => createMaps()),
  load: attempt(() => BpfObject.load(process.argv[2])),
}));
`;

/** Where the dynamic linker finds libbpf.so.1 here. */
function libbpfPath(): string {
  const line = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' })
    .split('\n')
    .find((l) => l.trim().startsWith('libbpf.so.1 '));
  const path = line?.split(' => ')[1]?.trim();
  if (!path) throw new Error('ldconfig -p lists no libbpf.so.1');
  return path;
}

describeWith(
  ['clang', 'libbpf-headers', 'bpf'],
  'the packed packages, installed outside the workspace',
  () => {
    let work: string;
    let project: string;
    // What the setup ran, checked by the tests below one step each.
    let codegen: SpawnSyncReturns<string>;
    let tsc: SpawnSyncReturns<string>;
    let object: string | Error;

    beforeAll(() => {
      // Copies sit where the packages do (two levels under the root), so their
      // tsconfig extends ../../tsconfig.base.json and tsc finds the workspace's
      // node_modules; they are not workspaces, so npm packs each on its own.
      work = mkdtempSync(join(ROOT, '.work-pack-'));
      const tarballs = join(work, 'tarballs');
      mkdirSync(tarballs);
      for (const name of PACKAGES) {
        const from = join(ROOT, 'packages', name);
        const copy = join(work, name);
        cpSync(from, copy, {
          recursive: true,
          filter: (src) => !/^(dist|node_modules|\.turbo)(\/|$)/.test(relative(from, src)),
        });
        must('npm', ['pack', '--pack-destination', tarballs], copy);
      }

      project = tempDir('bpfmaps-consumer-');
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
      );
      const install = run(
        'npm',
        [
          'install',
          '--prefer-offline',
          '--no-audit',
          '--no-fund',
          ...readdirSync(tarballs).map((t) => join(tarballs, t)),
          `typescript@${installed('typescript')}`,
          `@types/node@${installed('@types/node')}`,
        ],
        project,
      );
      if (install.status !== 0)
        throw new Error(
          `npm install --offline failed: the tarballs' dependencies must be in npm's cache (run npm ci in the workspace first):\n${install.stderr}`,
        );

      writeFileSync(join(project, 'maps.schema.ts'), SCHEMA);
      writeFileSync(join(project, 'app.ts'), APP);
      writeFileSync(join(project, 'metrics.ts'), METRICS);
      writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
      codegen = run(join(project, 'node_modules/.bin/codegen'), ['maps.schema.ts'], project);
      // tsc emits even when it reports errors: the tests after this one still run.
      tsc = run(join(project, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], project);
      try {
        object = compileBpf(PROGRAM, { includes: [project] });
      } catch (error) {
        object = error as Error;
      }
    }, 120_000);

    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
      if (project) rmSync(project, { recursive: true, force: true });
    });

    const pkg = (name: string) => join(project, 'node_modules/@bpfmaps', name);

    it('each tarball holds a built package, its README (ESM only), the MIT license and engines', () => {
      for (const name of PACKAGES) {
        const manifest = JSON.parse(readFileSync(join(pkg(name), 'package.json'), 'utf8')) as {
          engines?: { node?: string };
          exports: Record<string, { default: string }>;
        };
        expect(manifest.engines?.node, name).toBe('>=20.19');
        for (const entry of Object.values(manifest.exports))
          expect(existsSync(join(pkg(name), entry.default)), `${name} ${entry.default}`).toBe(true);
        expect(readFileSync(join(pkg(name), 'LICENSE'), 'utf8')).toContain(LICENSE_LINE);
        const readme = readFileSync(join(pkg(name), 'README.md'), 'utf8');
        expect(readme).toContain('ESM only: import, not require');
        expect(readme).toMatch(new RegExp(`npm install .*@bpfmaps/${name}`));
      }
      expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toContain(LICENSE_LINE);
    });

    it('every relative link in a shipped README leads to a file the tarball ships', () => {
      for (const name of PACKAGES) {
        const readme = readFileSync(join(pkg(name), 'README.md'), 'utf8');
        const links = [...readme.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)].map((m) => m[1]!);
        for (const link of links.filter((l) => !/^[a-z]+:/.test(l)))
          expect(existsSync(resolve(pkg(name), link)), `${name}/README.md links ${link}`).toBe(
            true,
          );
      }
    });

    it('every source map names sources that the tarball ships', () => {
      for (const name of PACKAGES) {
        const maps = (readdirSync(pkg(name), { recursive: true }) as string[]).filter((f) =>
          f.endsWith('.map'),
        );
        for (const map of maps) {
          const { sources } = JSON.parse(readFileSync(join(pkg(name), map), 'utf8')) as {
            sources: string[];
          };
          for (const source of sources)
            expect(existsSync(resolve(pkg(name), dirname(map), source)), `${name}/${map}`).toBe(
              true,
            );
        }
      }
    });

    it('codegen runs through the installed bin', () => {
      expect(codegen.stderr).toBe('');
      expect(codegen.stdout).toBe('wrote maps.h\nwrote maps.gen.ts\n');
    });

    it('the bin is also bpfmaps-codegen, and npx @bpfmaps/codegen runs it (codegen is another npm package)', () => {
      const { version } = JSON.parse(
        readFileSync(join(pkg('codegen'), 'package.json'), 'utf8'),
      ) as {
        version: string;
      };
      expect(must(join(project, 'node_modules/.bin/bpfmaps-codegen'), ['--version'], project)).toBe(
        `${version}\n`,
      );
      expect(
        must('npm', ['exec', '--prefer-offline', '--', '@bpfmaps/codegen', '--version'], project),
      ).toBe(`${version}\n`);
    });

    it('the generated module and the public .d.ts pass tsc, strict, with skipLibCheck off', () => {
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.status).toBe(0);
    });

    it('plain node loads the object clang built against the header and reads what the program counted', () => {
      if (object instanceof Error) throw object;
      expect(must(process.execPath, ['dist/app.js', object], project)).toBe(
        '60: 2 packets, 120 bytes; 2 lengths\n',
      );
    });

    it('the exporter, as a library, renders what the program counted', () => {
      if (object instanceof Error) throw object;
      const text = must(process.execPath, ['dist/metrics.js', object], project);
      expect(text).toContain('# TYPE bpfmaps_by_len_packets_total counter');
      expect(text).toContain('bpfmaps_by_len_packets_total{length="60"} 2');
      expect(text).toContain('bpfmaps_by_len_bytes_total{length="90"} 90');
    });

    describeWith(['bpffs'], 'the bpfmaps command, installed', () => {
      it('dumps a pinned map as JSON, lists it as matching the schema, and refuses a map that differs', () => {
        if (object instanceof Error) throw object;
        const pins = mkdtempSync('/sys/fs/bpf/bpfmaps-e2e-');
        try {
          must(process.execPath, ['dist/metrics.js', object, join(pins, 'by_len')], project);
          const bin = join(project, 'node_modules/.bin/bpfmaps');
          const dumped = JSON.parse(
            must(
              bin,
              [
                'dump',
                'maps.schema.ts',
                'by_len',
                '--pin',
                join(pins, 'by_len'),
                '--format',
                'json',
              ],
              project,
            ),
          ) as { key: number; value: { packets: number } }[];
          expect(dumped.map((e) => [e.key, e.value.packets]).sort()).toEqual([
            [60, 2],
            [90, 1],
          ]);
          expect(must(bin, ['ls', pins, '--schema', 'maps.schema.ts'], project)).toMatch(
            /by_len\s+by_len\s+hash\s+4\s+16\s+16\s+2\s+matches by_len/,
          );
          writeFileSync(join(project, 'other.schema.ts'), SCHEMA.replace('key: u32', 'key: u64'));
          const refused = run(
            bin,
            ['dump', 'other.schema.ts', 'by_len', '--pin', join(pins, 'by_len')],
            project,
          );
          expect(refused.status).toBe(2);
          expect(refused.stderr).toMatch(/^bpfmaps: .*by_len.*key size/m);
        } finally {
          rmSync(pins, { recursive: true, force: true });
        }
      });
    });

    it("the README's TypeScript setup compiles the app, and node runs its `using`", () => {
      if (object instanceof Error) throw object;
      const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
      const setup = readme.slice(readme.indexOf('## TypeScript setup'));
      const config = JSON.parse(/```json\n([^]*?)```/.exec(setup)![1]!) as {
        compilerOptions: Record<string, unknown>;
      };
      config.compilerOptions.outDir = 'dist-readme';
      writeFileSync(join(project, 'tsconfig.readme.json'), JSON.stringify(config));
      must(join(project, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.readme.json'], project);
      expect(readFileSync(join(project, 'dist-readme/app.js'), 'utf8')).not.toMatch(/^using /m);
      expect(must(process.execPath, ['dist-readme/app.js', object], project)).toBe(
        '60: 2 packets, 120 bytes; 2 lengths\n',
      );
    });

    it('a stack trace under --enable-source-maps names only files that exist', () => {
      writeFileSync(
        join(project, 'trace.mjs'),
        `import { BpfObject } from '@bpfmaps/runtime';
try { BpfObject.load('/nonexistent/prog.bpf.o'); } catch (error) { console.log(error.stack); }
`,
      );
      const stack = must(process.execPath, ['--enable-source-maps', 'trace.mjs'], project);
      const files = [...stack.matchAll(/(?:\(|at )(?:file:\/\/)?(\/[^():]+):\d+:\d+/g)].map(
        (m) => m[1]!,
      );
      expect(
        files.some((f) => f.includes('/node_modules/@bpfmaps/runtime/')),
        stack,
      ).toBe(true);
      for (const file of files) expect(existsSync(file), `${file} in\n${stack}`).toBe(true);
    });

    describeWith(['unshare'], 'on a machine without libbpf', () => {
      it('the schema and the generated codecs work; using a map throws a BpfError naming libbpf and its package', () => {
        if (object instanceof Error) throw object;
        writeFileSync(join(project, 'no-libbpf.mjs'), NO_LIBBPF);
        // A private mount namespace where libbpf.so.1 reads as an empty file:
        // dlopen fails there as on a machine without libbpf; nothing else sees it.
        const out = must(
          'unshare',
          [
            '--mount',
            'sh',
            '-c',
            'mount --bind /dev/null "$1" && exec "$2" no-libbpf.mjs "$3"',
            'sh',
            libbpfPath(),
            process.execPath,
            object,
          ],
          project,
        );
        const result = JSON.parse(out) as Record<string, unknown>;
        expect(result.decoded).toBe('1/2');
        expect(result.layout).toBe(8);
        for (const attempt of ['create', 'load'])
          expect(result[attempt], attempt).toEqual({
            bpfError: true,
            code: 'NOT_SUPPORTED',
            message: expect.stringMatching(/libbpf\.so\.1[^]*apt-get install libbpf1/),
          });
      });
    });
  },
);
