import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
// Inside the package, so schema files resolve @bpfmaps/schema like a user's would.
const WORK_ROOT = fileURLToPath(new URL('./', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(WORK_ROOT, '.work-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function codegen(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const GOOD = `import { be16, hash, struct, u64 } from '@bpfmaps/schema';
export const Key = struct('Key', { port: be16 });
export const counts = hash('counts', { key: Key, value: u64, maxEntries: 8 });
`;

function write(name: string, text: string): void {
  writeFileSync(join(dir, name), text);
}

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
    expect(r.stderr).toContain('stale: maps.gen.ts');
    expect(r.stderr).toContain('Run: codegen maps.schema.ts');
    expect(readFileSync(join(dir, 'maps.h'), 'utf8')).toBe('/* edited by hand */\n');
  });

  it('--check notices a schema change', () => {
    write('maps.schema.ts', GOOD);
    codegen('maps.schema.ts');
    write('maps.schema.ts', GOOD.replace('maxEntries: 8', 'maxEntries: 9'));
    expect(codegen('--check', 'maps.schema.ts').code).toBe(1);
  });

  it('--out-dir, --c and --ts choose where files go', () => {
    write('maps.schema.ts', GOOD);
    expect(codegen('maps.schema.ts', '--c', 'inc/m.h', '--ts', 'gen.ts').code).toBe(2); // inc/ does not exist
    expect(readdirSync(dir).sort()).toEqual(['maps.schema.ts']);
    expect(codegen('maps.schema.ts', '--c', 'm.h', '--ts', 'gen.ts').code).toBe(0);
    expect(existsSync(join(dir, 'm.h')) && existsSync(join(dir, 'gen.ts'))).toBe(true);
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
    expect(r.stderr).toContain('maps.schema.ts: no map declarations are exported');
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

  it('one bad schema among several writes nothing at all', () => {
    write('good.schema.ts', GOOD);
    write('bad.schema.ts', `export const nothing = 1;\n`);
    expect(codegen('good.schema.ts', 'bad.schema.ts').code).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['bad.schema.ts', 'good.schema.ts']);
  });

  it('--help documents the exit codes, --version prints the version', () => {
    expect(codegen('--help').stdout).toContain(
      'Exit codes: 0 success, 1 stale files (--check), 2 invalid input',
    );
    expect(codegen('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
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
