import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { CLI, cliSandbox, GOOD } from './support/cli.js';

const box = cliSandbox();
const { codegen, write } = box;
let dir: string;
beforeEach(() => {
  dir = box.dir;
});

describe('codegen CLI', () => {
  it('writes the header and the module beside the schema', () => {
    write('maps.schema.ts', GOOD);
    const r = codegen('maps.schema.ts');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('wrote maps.h\nwrote maps.gen.ts\n');
    expect(readFileSync(join(dir, 'maps.h'), 'utf8')).toContain('struct key {');
  });

  it('--check exits 0 when current, 1 naming each stale or missing file', () => {
    write('maps.schema.ts', GOOD);
    expect(codegen('maps.schema.ts').code).toBe(0);
    expect(codegen('--check', 'maps.schema.ts').code).toBe(0);
    write('maps.h', '/* edited by hand */\n');
    rmSync(join(dir, 'maps.gen.ts'));
    const r = codegen('--check', 'maps.schema.ts');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('stale: maps.h');
    expect(r.stderr).toContain('missing: maps.gen.ts');
    expect(r.stderr).not.toContain('stale: maps.gen.ts');
    expect(r.stderr).toContain('Run: codegen maps.schema.ts');
    expect(readFileSync(join(dir, 'maps.h'), 'utf8')).toBe('/* edited by hand */\n');
  });

  it.each([
    { given: ['--check=true', 'maps.schema.ts'], run: 'maps.schema.ts' },
    { given: ['maps.schema.ts', '--check', 'true'], run: 'maps.schema.ts' },
    {
      given: ['--check', 'maps.schema.ts', '--c', 'my maps.h'],
      run: "maps.schema.ts --c 'my maps.h'",
    },
  ])('--check as $given suggests the command without it', ({ given, run }) => {
    write('maps.schema.ts', GOOD);
    const r = codegen(...given);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Run: codegen ${run}\n`);
  });

  it('--check=false and --check false generate', () => {
    write('maps.schema.ts', GOOD);
    expect(codegen('--check=false', 'maps.schema.ts').stdout).toContain('wrote maps.h');
    rmSync(join(dir, 'maps.h'));
    expect(codegen('--check', 'false', 'maps.schema.ts').stdout).toContain('wrote maps.h');
  });

  it('--check notices a schema change', () => {
    write('maps.schema.ts', GOOD);
    codegen('maps.schema.ts');
    write('maps.schema.ts', GOOD.replace('maxEntries: 8', 'maxEntries: 9'));
    expect(codegen('--check', 'maps.schema.ts').code).toBe(1);
  });

  it('--out-dir, --c and --ts choose where files go, creating missing directories', () => {
    write('maps.schema.ts', GOOD);
    expect(codegen('maps.schema.ts', '--c', 'm.h', '--ts', 'gen.ts').code).toBe(0);
    expect(existsSync(join(dir, 'm.h')) && existsSync(join(dir, 'gen.ts'))).toBe(true);
    expect(codegen('maps.schema.ts', '--c', 'inc/m.h', '--ts', 'src/gen/maps.gen.ts').code).toBe(0);
    expect(existsSync(join(dir, 'inc/m.h')) && existsSync(join(dir, 'src/gen/maps.gen.ts'))).toBe(
      true,
    );
    expect(codegen('maps.schema.ts', '--out-dir', 'out/generated').code).toBe(0);
    expect(readdirSync(join(dir, 'out/generated')).sort()).toEqual(['maps.gen.ts', 'maps.h']);
  });

  it.each([
    {
      name: 'an unknown option',
      args: ['--chek', 'maps.schema.ts'],
      message: 'codegen: Unknown argument: chek',
    },
    { name: 'no schema', args: [], message: 'codegen: Name at least one schema file' },
    {
      name: 'the module over the schema',
      args: ['maps.schema.ts', '--ts', 'maps.schema.ts'],
      message: 'the module of maps.schema.ts would overwrite the schema maps.schema.ts',
    },
    {
      name: 'header and module on one path',
      args: ['maps.schema.ts', '-c', 'out.x', '--ts', 'out.x'],
      message:
        'out.x would be written twice: the header of maps.schema.ts and the module of maps.schema.ts',
    },
    {
      name: '--out-dir naming a file',
      args: ['maps.schema.ts', '--out-dir', 'maps.schema.ts'],
      message: '--out-dir maps.schema.ts is not a directory',
    },
    {
      name: 'an output path that is a directory',
      args: ['maps.schema.ts', '-c', 'sub'],
      message: 'the header path sub is a directory',
    },
    {
      name: 'an output path under a file',
      args: ['maps.schema.ts', '-c', 'maps.schema.ts/x.h'],
      message:
        'the header path maps.schema.ts/x.h lies under maps.schema.ts, which is not a directory',
    },
    {
      name: '--check with --watch',
      args: ['maps.schema.ts', '--check', '--watch'],
      message: '--check and --watch cannot be combined',
    },
    ...['1', 'yes', 'on', ''].map((value) => ({
      name: `--check=${value}`,
      args: [`--check=${value}`, 'maps.schema.ts'],
      message: `option --check takes no value (or true/false), not "${value}"`,
    })),
    {
      name: '--vmlinux=1',
      args: ['--vmlinux=1', 'maps.schema.ts'],
      message: 'option --vmlinux takes no value (or true/false), not "1"',
    },
    {
      name: '--out-dir twice',
      args: ['--out-dir', 'a', '--out-dir', 'b', 'maps.schema.ts'],
      message: 'option --out-dir given twice',
    },
    {
      name: '-c twice',
      args: ['-c', 'a.h', '-c', 'b.h', 'maps.schema.ts'],
      message: 'option -c given twice',
    },
    {
      name: '--ts without its value',
      args: ['maps.schema.ts', '--ts'],
      message: 'option --ts needs a value, e.g. --ts maps.gen.ts',
    },
    {
      name: 'an empty --out-dir',
      args: ['maps.schema.ts', '--out-dir', ''],
      message: 'option --out-dir needs a value',
    },
    {
      name: '-c with --out-dir',
      args: ['maps.schema.ts', '-c', 'x.h', '--out-dir', 'gen'],
      message: '--out-dir cannot be combined with -c or --ts',
    },
    {
      name: '--kernel-btf without --vmlinux',
      args: ['maps.schema.ts', '--kernel-btf', '/nope'],
      message: '--kernel-btf only applies with --vmlinux',
    },
  ])('a wrong command line ($name) exits 64, says why and writes nothing', ({ args, message }) => {
    write('maps.schema.ts', GOOD);
    mkdirSync(join(dir, 'sub'));
    const r = codegen(...args);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('    at '); // no stack trace
    expect(r.code).toBe(64);
    expect(readdirSync(dir).sort()).toEqual(['maps.schema.ts', 'sub']);
    expect(readFileSync(join(dir, 'maps.schema.ts'), 'utf8')).toBe(GOOD);
  });

  it('two schemas of one name into one --out-dir are refused before anything is written', () => {
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    write('a/maps.schema.ts', GOOD);
    write('b/maps.schema.ts', GOOD);
    const r = codegen('a/maps.schema.ts', 'b/maps.schema.ts', '--out-dir', 'gen');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(
      'gen/maps.h would be written twice: the header of a/maps.schema.ts and the header of b/maps.schema.ts',
    );
    expect(existsSync(join(dir, 'gen'))).toBe(false);
  });

  it('both files carry the schema hash; --check names a pair generated from different versions', () => {
    write('maps.schema.ts', GOOD);
    codegen('maps.schema.ts');
    const hash = /bpfmaps schema ([0-9a-f]{16})/.exec(
      readFileSync(join(dir, 'maps.h'), 'utf8'),
    )![1];
    expect(readFileSync(join(dir, 'maps.gen.ts'), 'utf8')).toContain(
      `export const schemaHash = '${hash}';`,
    );
    const oldHeader = readFileSync(join(dir, 'maps.h'));
    write('maps.schema.ts', GOOD.replace('maxEntries: 8', 'maxEntries: 9'));
    codegen('maps.schema.ts');
    writeFileSync(join(dir, 'maps.h'), oldHeader); // as a failed or partial write would leave it
    const r = codegen('--check', 'maps.schema.ts');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('stale: maps.h');
    expect(r.stderr).toContain(
      'maps.h and maps.gen.ts were generated from different versions of maps.schema.ts',
    );
  });

  it('removes temporary files a killed writer left, and never those of a live one', () => {
    write('maps.schema.ts', GOOD);
    write('maps.h.bpfmaps-999999-abcdef123456.tmp', 'left by a killed codegen');
    write(`maps.h.bpfmaps-${process.pid}-abcdef123456.tmp`, 'a live writer');
    expect(codegen('maps.schema.ts').code).toBe(0);
    expect(readdirSync(dir).filter((f) => f.includes('.bpfmaps-'))).toEqual([
      `maps.h.bpfmaps-${process.pid}-abcdef123456.tmp`,
    ]);
  });

  it('a missing schema file is an error that writes nothing', () => {
    const r = codegen('nope.schema.ts');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('codegen: schema file not found: nope.schema.ts\n');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a duplicate field names the file and line', () => {
    write(
      'maps.schema.ts',
      `import { hash, struct, u16, u64 } from '@bpfmaps/schema';
export const Key = struct('Key', {
  port: u16,
  port: u16,
});
export const counts = hash('counts', { key: Key, value: u64, maxEntries: 8 });
`,
    );
    const r = codegen('maps.schema.ts');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /maps\.schema\.ts:4:3: Duplicate key "port" in object literal: a struct field or option is declared twice/,
    );
    expect(readdirSync(dir)).toEqual(['maps.schema.ts']);
  });

  it('an unknown type names the schema path and the line in the user file', () => {
    write(
      'maps.schema.ts',
      `import { hash, struct, u64 } from '@bpfmaps/schema';
import * as s from '@bpfmaps/schema';
export const Key = struct('FlowKey', { sport: (s as any).u24 });
export const counts = hash('counts', { key: Key, value: u64, maxEntries: 8 });
`,
    );
    const r = codegen('maps.schema.ts');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'FlowKey.sport: unknown type: undefined (is the type imported from @bpfmaps/schema?)',
    );
    expect(r.stderr).toMatch(/maps\.schema\.ts:3:\d+/);
    expect(readdirSync(dir)).toEqual(['maps.schema.ts']);
  });

  it('a schema without maps is an error', () => {
    write(
      'maps.schema.ts',
      `import { struct, u8 } from '@bpfmaps/schema';\nexport const Key = struct('Key', { a: u8 });\n`,
    );
    const r = codegen('maps.schema.ts');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('maps.schema.ts: no map or globals declarations are exported');
  });

  it('two structs with one name are refused', () => {
    write(
      'maps.schema.ts',
      `import { hash, struct, u8, u16 } from '@bpfmaps/schema';
export const a = hash('a', { key: struct('Key', { x: u8 }), value: u8, maxEntries: 1 });
export const b = hash('b', { key: struct('Key', { x: u16 }), value: u8, maxEntries: 1 });
`,
    );
    const r = codegen('maps.schema.ts');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'Key: two different declarations are both called Key (struct key { x: u8 } vs struct key { x: u16 })',
    );
  });

  it.each(['HashMap', 'Maps', 'BpfObject'])(
    'a struct named %s, which the generated module imports or defines, is refused',
    (name) => {
      write(
        'maps.schema.ts',
        `import { hash, struct, u8 } from '@bpfmaps/schema';
export const ${name} = struct('${name}', { x: u8 });
export const a = hash('a', { key: ${name}, value: u8, maxEntries: 1 });
`,
      );
      const r = codegen('maps.schema.ts');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `${name}: the generated module needs "${name}" for struct ${name}, but it is already a name the generated module imports or defines itself. Rename the declaration`,
      );
      expect(readdirSync(dir)).toEqual(['maps.schema.ts']);
    },
  );

  it('one bad schema among several writes nothing at all', () => {
    write('good.schema.ts', GOOD);
    write('bad.schema.ts', `export const nothing = 1;\n`);
    expect(codegen('good.schema.ts', 'bad.schema.ts').code).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['bad.schema.ts', 'good.schema.ts']);
  });

  it('--help and --version load none of esbuild, tsx and prettier (they are for generating)', () => {
    const forbid = fileURLToPath(new URL('./support/forbid-heavy.mjs', import.meta.url));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', forbid, CLI, ...args], {
        cwd: dir,
        encoding: 'utf8',
      });
    for (const args of [['--help'], ['--version'], ['--chek']]) {
      const r = run(...args);
      expect(r.stderr, args.join(' ')).not.toContain('loaded ');
    }
    write('maps.schema.ts', GOOD);
    expect(run('maps.schema.ts').stderr).toContain('loaded '); // the hook does forbid them
  });

  it('the bin says how to build the package when dist/ is missing', () => {
    const pkg = join(dir, 'unbuilt');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), '{ "type": "module" }');
    writeFileSync(
      join(pkg, 'bin/codegen.js'),
      readFileSync(fileURLToPath(new URL('../bin/codegen.js', import.meta.url))),
    );
    const r = spawnSync(process.execPath, [join(pkg, 'bin/codegen.js'), '--help'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/@bpfmaps\/codegen is not built \(.*dist\/cli\.js is missing\)/);
    expect(r.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
  });

  it('--help documents the exit codes, --version prints the version', () => {
    expect(codegen('--help').stdout.replace(/\s+/g, ' ')).toContain(
      'Exit codes: 0 success, 1 stale files (--check), 2 invalid input (nothing written), 64 usage error, 129/130/143 stopped by SIGHUP/SIGINT (Ctrl-C)/SIGTERM.',
    );
    expect(codegen('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(codegen('-v').stdout).toBe(codegen('--version').stdout);
    expect(codegen('-h').stdout).toBe(codegen('--help').stdout);
  });
});

describe('codegen --watch', () => {
  it('regenerates when the schema or a file it imports changes, and survives a broken save', async () => {
    write('fields.ts', `import { u16 } from '@bpfmaps/schema';\nexport const portType = u16;\n`);
    write(
      'maps.schema.ts',
      `import { hash, struct, u64 } from '@bpfmaps/schema';
import { portType } from './fields.js';
export const Key = struct('Key', { port: portType });
export const counts = hash('counts', { key: Key, value: u64, maxEntries: 8 });
`,
    );
    const child = spawn(process.execPath, [CLI, '--watch', 'maps.schema.ts'], { cwd: dir });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const until = async (what: () => boolean) => {
      for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(what(), `waited for output; got:\n${out}\n${err}`).toBe(true);
    };
    const count = (text: string, word: string) => text.split(word).length - 1;
    try {
      await until(() => out.includes('watching 2 files'));
      expect(readFileSync(join(dir, 'maps.h'), 'utf8')).toContain('__u16 port;');
      write('fields.ts', `import { u32 } from '@bpfmaps/schema';\nexport const portType = u32;\n`);
      await until(() => count(out, 'wrote') === 2);
      expect(readFileSync(join(dir, 'maps.h'), 'utf8')).toContain('__u32 port;');
      write('maps.schema.ts', 'export const broken = ;\n');
      await until(() => err.includes('codegen:'));
      expect(readFileSync(join(dir, 'maps.h'), 'utf8')).toContain('__u32 port;');
      write(
        'maps.schema.ts',
        `import { hash, u64 } from '@bpfmaps/schema';\nexport const counts = hash('counts', { key: u64, value: u64, maxEntries: 9 });\n`,
      );
      await until(() => count(out, 'wrote') === 3);
      expect(readFileSync(join(dir, 'maps.h'), 'utf8')).toContain('__uint(max_entries, 9);');
    } finally {
      child.kill('SIGINT');
    }
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
  });
});

describe('codegen --watch, when files come and go', () => {
  it('survives the schema being deleted and saved again, and sees a save made during a regeneration', async () => {
    write('maps.schema.ts', GOOD);
    const child = spawn(process.execPath, [CLI, '--watch', 'maps.schema.ts'], { cwd: dir });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const until = async (what: () => boolean) => {
      for (let i = 0; i < 300 && !what(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(what(), `waited for output; got:\n${out}\n${err}`).toBe(true);
    };
    const header = () => readFileSync(join(dir, 'maps.h'), 'utf8');
    try {
      await until(() => out.includes('wrote'));
      unlinkSync(join(dir, 'maps.schema.ts'));
      await until(() => err.includes('waiting for maps.schema.ts (not found)'));
      write('maps.schema.ts', GOOD.replace('maxEntries: 8', 'maxEntries: 10'));
      await until(() => header().includes('__uint(max_entries, 10);'));
      // Two saves in a row, the second while the first regenerates: the last one wins.
      write('maps.schema.ts', GOOD.replace('maxEntries: 8', 'maxEntries: 11'));
      await new Promise((r) => setTimeout(r, 150));
      write('maps.schema.ts', GOOD.replace('maxEntries: 8', 'maxEntries: 12'));
      await until(() => header().includes('__uint(max_entries, 12);'));
    } finally {
      child.kill('SIGINT');
    }
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
  });
});
