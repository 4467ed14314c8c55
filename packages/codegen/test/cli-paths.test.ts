import { spawn } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cliSandbox, GOOD } from './support/cli.js';

const box = cliSandbox();
const { codegen, write } = box;
const FIELDS = `import { u16 } from '@bpfmaps/schema';\nexport const port = u16;\n`;
const IMPORTS = `import { hash, struct, u64 } from '@bpfmaps/schema';
import { port } from './fields.js';
export const Key = struct('Key', { port });
export const counts = hash('counts', { key: Key, value: u64, maxEntries: 8 });
`;
const read = (name: string) => readFileSync(join(box.dir, name), 'utf8');

describe('codegen output paths compare the files they reach, not their spelling', () => {
  it.each([
    {
      name: 'the module over the schema through a symlinked directory',
      args: ['--ts', 'self/maps.schema.ts', 'maps.schema.ts'],
      message:
        'the module of maps.schema.ts would overwrite the schema maps.schema.ts (self/maps.schema.ts and maps.schema.ts are one file)',
    },
    {
      name: 'header and module on one file, one of them through a symlink',
      args: ['-c', 'self/out.txt', '--ts', 'out.txt', 'maps.schema.ts'],
      message:
        'out.txt would be written twice: the header of maps.schema.ts (as self/out.txt) and the module of maps.schema.ts',
    },
    {
      name: 'the module over the file a symlinked schema points to',
      args: ['--ts', 'maps.schema.ts', 'alias.schema.ts'],
      message:
        'the module of alias.schema.ts would overwrite the schema alias.schema.ts (maps.schema.ts and alias.schema.ts are one file)',
    },
    {
      name: 'the header over a file the schema imports',
      args: ['-c', 'self/fields.ts', 'imports.schema.ts'],
      message:
        'the header of imports.schema.ts would overwrite fields.ts, which the schema imports (self/fields.ts and fields.ts are one file)',
    },
  ])('$name exits 64 and changes nothing', ({ args, message }) => {
    write('maps.schema.ts', GOOD);
    write('fields.ts', `import { u16 } from '@bpfmaps/schema';\nexport const port = u16;\n`);
    write('imports.schema.ts', IMPORTS);
    symlinkSync('.', join(box.dir, 'self'));
    symlinkSync('maps.schema.ts', join(box.dir, 'alias.schema.ts'));
    const before = readdirSync(box.dir).sort();
    const r = codegen(...args);
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(64);
    expect(readdirSync(box.dir).sort()).toEqual(before);
    expect(read('maps.schema.ts')).toBe(GOOD);
  });

  it('a schema importing a local file still generates', () => {
    write('maps.schema.ts', GOOD);
    write('fields.ts', `import { u16 } from '@bpfmaps/schema';\nexport const port = u16;\n`);
    write('imports.schema.ts', IMPORTS);
    expect(codegen('imports.schema.ts').code).toBe(0);
  });

  it('--watch refuses to write over a file the schema imports, and goes on watching', async () => {
    write('fields.ts', FIELDS);
    write('imports.schema.ts', IMPORTS);
    const child = spawn(
      process.execPath,
      [CLI, '--watch', '--ts', 'fields.ts', 'imports.schema.ts'],
      {
        cwd: box.dir,
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    for (let i = 0; i < 200 && !out.includes('watching'); i++)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    expect(out).toContain(
      'codegen: the module of imports.schema.ts would overwrite fields.ts, which the schema imports',
    );
    expect(read('fields.ts')).toBe(FIELDS);
  });

  it('an output that is a symlink stays one: the file it points to gets the content', () => {
    write('maps.schema.ts', GOOD);
    mkdirSync(join(box.dir, 'include'));
    symlinkSync('include/maps.h', join(box.dir, 'maps.h')); // dangling until the first run
    const r = codegen('maps.schema.ts');
    expect(r.code).toBe(0);
    expect(lstatSync(join(box.dir, 'maps.h')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(box.dir, 'maps.h'))).toBe('include/maps.h');
    expect(read('include/maps.h')).toContain('struct key {');
    write('maps.schema.ts', GOOD.replace('maxEntries: 8', 'maxEntries: 9'));
    expect(codegen('maps.schema.ts').code).toBe(0);
    expect(lstatSync(join(box.dir, 'maps.h')).isSymbolicLink()).toBe(true);
    expect(read('include/maps.h')).toContain('__uint(max_entries, 9);');
    expect(readdirSync(join(box.dir, 'include'))).toEqual(['maps.h']);
  });

  it('one schema named several ways is generated once', () => {
    write('maps.schema.ts', GOOD);
    symlinkSync('.', join(box.dir, 'self'));
    const r = codegen('maps.schema.ts', './maps.schema.ts', 'self/maps.schema.ts');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('wrote maps.h\nwrote maps.gen.ts\n');
  });
});

describe('schemas load whatever their path', () => {
  it.each(['proj*', 'proj?[x]', "it's here"])(
    'in a directory named %s, with a local import',
    (name) => {
      mkdirSync(join(box.dir, name));
      write(
        `${name}/fields.ts`,
        `import { u16 } from '@bpfmaps/schema';\nexport const port = u16;\n`,
      );
      write(`${name}/maps.schema.ts`, IMPORTS);
      const r = codegen(`${name}/maps.schema.ts`);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(readdirSync(join(box.dir, name)).sort()).toEqual([
        'fields.ts',
        'maps.gen.ts',
        'maps.h',
        'maps.schema.ts',
      ]);
    },
  );

  it('with a backslash in the file name', () => {
    write('a\\b.schema.ts', GOOD);
    const r = codegen('a\\b.schema.ts');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(read('a\\b.h')).toContain('struct key {');
  });

  it('a duplicate key is reported at its line, also under a path with *', () => {
    mkdirSync(join(box.dir, 'proj*'));
    write('proj*/maps.schema.ts', GOOD.replace('{ port: be16 }', '{ port: be16, port: be16 }'));
    const r = codegen('proj*/maps.schema.ts');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/proj\*\/maps\.schema\.ts:2:\d+: Duplicate key "port"/);
  });

  it.each(['js', 'mjs', 'mts'])('a .schema.%s file gives maps.h and maps.gen.ts', (ext) => {
    const js = `import { hash, u32 } from '@bpfmaps/schema';\nexport const counts = hash('counts', { key: u32, value: u32, maxEntries: 8 });\n`;
    write(`maps.schema.${ext}`, js);
    const r = codegen(`maps.schema.${ext}`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('wrote maps.h\nwrote maps.gen.ts\n');
  });
});
