import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CodegenError, writeAtomically, type WriteFs } from '../src/index.js';

describe('writeAtomically', () => {
  it('a rename that fails after another has moved puts the old files back: the pair never mixes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfmaps-write-'));
    const header = join(dir, 'maps.h');
    const module = join(dir, 'maps.gen.ts');
    writeFileSync(header, 'old header');
    writeFileSync(module, 'old module');
    let renames = 0;
    const failing: WriteFs = {
      ...fs,
      renameSync: (from, to) => {
        // The second file's move into place fails (a full disk, a read-only mount...).
        if (String(from).endsWith('.tmp') && ++renames === 2)
          throw new Error('EIO: simulated failure');
        fs.renameSync(from, to);
      },
    };
    const write = () =>
      writeAtomically(
        [
          { path: header, content: 'new header' },
          { path: module, content: 'new module' },
        ],
        failing,
      );
    let error: unknown;
    try {
      write();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CodegenError);
    expect((error as Error).message).toMatch(
      /cannot move the generated files into place: EIO: simulated failure; nothing was written/,
    );
    expect(readFileSync(header, 'utf8')).toBe('old header');
    expect(readFileSync(module, 'utf8')).toBe('old module');
    expect(readdirSync(dir).sort()).toEqual(['maps.gen.ts', 'maps.h']);
  });

  it('a file that cannot be written leaves nothing behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfmaps-write-'));
    const failing: WriteFs = {
      ...fs,
      writeFileSync: (path, data) => {
        if (String(path).includes('maps.gen.ts')) throw new Error('ENOSPC: simulated failure');
        fs.writeFileSync(path, data);
      },
    };
    expect(() =>
      writeAtomically(
        [
          { path: join(dir, 'maps.h'), content: 'h' },
          { path: join(dir, 'maps.gen.ts'), content: 'm' },
        ],
        failing,
      ),
    ).toThrow(/cannot write .*maps\.gen\.ts: ENOSPC: simulated failure; nothing was written/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
