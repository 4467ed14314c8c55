/** writeAtomically on real files: what it keeps of the files it replaces, and where links are not allowed. */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeWith } from '@bpfmaps/testing';
import { describe, expect, it } from 'vitest';
import { CLI, cliSandbox, GOOD } from './support/cli.js';

const box = cliSandbox();
const { codegen, write } = box;
const at = (name: string) => join(box.dir, name);

describe('codegen leaves alone what is already right', () => {
  it('a file whose content is current keeps its inode and mtime; a changed one is replaced', () => {
    write('maps.schema.ts', GOOD);
    expect(codegen('maps.schema.ts').code).toBe(0);
    const before = ['maps.h', 'maps.gen.ts'].map((f) => statSync(at(f)));
    const r = codegen('maps.schema.ts');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('up to date: maps.h\nup to date: maps.gen.ts\n');
    const after = ['maps.h', 'maps.gen.ts'].map((f) => statSync(at(f)));
    for (const [i, s] of after.entries()) {
      expect(s.ino).toBe(before[i]!.ino);
      expect(s.mtimeMs).toBe(before[i]!.mtimeMs);
    }
    write('maps.h', '/* edited */\n');
    expect(codegen('maps.schema.ts').stdout).toBe('wrote maps.h\nup to date: maps.gen.ts\n');
    expect(statSync(at('maps.gen.ts')).ino).toBe(before[1]!.ino);
  });

  it('a replaced file keeps its mode', () => {
    write('maps.schema.ts', GOOD);
    expect(codegen('maps.schema.ts').code).toBe(0);
    chmodSync(at('maps.h'), 0o600);
    chmodSync(at('maps.gen.ts'), 0o444);
    write('maps.schema.ts', GOOD.replace('maxEntries: 8', 'maxEntries: 9'));
    expect(codegen('maps.schema.ts').stdout).toBe('wrote maps.h\nwrote maps.gen.ts\n');
    expect(statSync(at('maps.h')).mode & 0o777).toBe(0o600);
    expect(statSync(at('maps.gen.ts')).mode & 0o777).toBe(0o444);
  });
});

// protected_hardlinks: without CAP_FOWNER, a user may not hard-link a file it
// neither owns nor may write, though it may replace it in its own directory.
describeWith(['setpriv'], 'codegen where hard links are not allowed', () => {
  it('backs up by copying, and the write succeeds', () => {
    write('maps.schema.ts', GOOD);
    expect(codegen('maps.schema.ts').code).toBe(0);
    for (const f of ['maps.h', 'maps.gen.ts']) {
      chownSync(at(f), 65534, 65534);
      chmodSync(at(f), 0o644);
    }
    const noCaps = ['--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all'];
    const linkAllowed = spawnSync('setpriv', [...noCaps, 'ln', at('maps.h'), at('probe')]);
    rmSync(at('probe'), { force: true });
    expect(linkAllowed.status, 'protected_hardlinks must refuse the link here').not.toBe(0);
    write('maps.schema.ts', GOOD.replace('maxEntries: 8', 'maxEntries: 9'));
    const r = spawnSync('setpriv', [...noCaps, process.execPath, CLI, 'maps.schema.ts'], {
      cwd: box.dir,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(at('maps.h'), 'utf8')).toContain('__uint(max_entries, 9);');
    expect(statSync(at('maps.h')).mode & 0o777).toBe(0o644);
  });
});
