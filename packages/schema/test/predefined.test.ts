import { execFileSync } from 'node:child_process';
import { describeWith } from '@bpfmaps/testing';
import { expect, it } from 'vitest';
import { PREDEFINED_MACROS } from '../src/names.js';

/** The plain-word macros (no leading underscore) a compiler predefines, as `-dM -E` lists them. */
function predefined(compiler: string, args: string[]): string[] {
  const out = execFileSync(compiler, [...args, '-dM', '-E', '-x', 'c', '-'], {
    input: '',
    encoding: 'utf8',
  });
  return [...out.matchAll(/^#define ([A-Za-z]\w*)\b/gm)].map((m) => m[1]!);
}

describeWith(['cc', 'clang'], 'names the compilers predefine in GNU mode', () => {
  it.each([
    { compiler: 'cc', args: [] },
    { compiler: 'clang', args: [] },
    { compiler: 'clang', args: ['-target', 'bpf'] },
  ])('every one $compiler $args predefines is refused as a name', ({ compiler, args }) => {
    const words = predefined(compiler, args);
    expect(words.filter((w) => !PREDEFINED_MACROS.has(w))).toEqual([]);
  });
});
