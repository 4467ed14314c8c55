/**
 * Every user string that reaches a generated file (documentation of fields,
 * structs, enums, maps and globals, and the schema's file name) is escaped: whatever
 * it holds, the header compiles with -Werror, the module passes tsc, and
 * importing the module runs none of it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enumType, globals, hash, struct, u32, u64, u8, array } from '@bpfmaps/schema';
import { compileBpf, compileHost, describeWith } from '@bpfmaps/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from '../src/index.js';

const KNOWN = [
  '*/ globalThis.INJECTED = "comment"; /*',
  '*/',
  '/*',
  '// */ globalThis.INJECTED = "line";',
  'line one\nglobalThis.INJECTED = "newline"; //',
  'line\r\n*/ globalThis.INJECTED = "crlf"; /*',
  '\u2028globalThis.INJECTED = "line separator";',
  '\u2029globalThis.INJECTED = "paragraph separator";',
  '`${(globalThis.INJECTED = "template")}`',
  "'); globalThis.INJECTED = 'quote'; ('",
  '"); globalThis.INJECTED = "dquote"; ("',
  'trailing backslash \\',
  'trigraphs ??/ ??= ??( and a run ???/',
  'NUL \0 and bell \u0007 and tab\t',
  '#endif\n#define __bpf__ 0',
  '\u202e right-to-left override',
  '@returns {never} @deprecated',
  'emoji 🐝 and ünïcödé',
];

/** Strings built from the characters that end or start comments, strings and lines. */
const hostile = fc.string({
  unit: fc.constantFrom(
    '*',
    '/',
    '\\',
    '\n',
    '\r',
    '\u2028',
    '\u2029',
    '"',
    "'",
    '`',
    '$',
    '{',
    '}',
    '?',
    '#',
    '\0',
    '\t',
    'a',
    ' ',
    '@',
    '🐝',
  ),
  maxLength: 40,
});

const WORK = fileURLToPath(new URL('./', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A schema module whose every documentable place holds one of `docs`. */
function schemaWith(docs: readonly string[]): Record<string, unknown> {
  const fields = Object.fromEntries(docs.map((doc, i) => [`f${i}`, u32.describe(doc)]));
  const Doc = struct('Doc', { ...fields, n: u64 }, { doc: docs.join(' ') });
  const Kind = enumType('Kind', { A: 1, B: 2 }, { doc: docs[0], storage: u8 });
  const Tagged = struct(
    'Tagged',
    { kind: Kind, n: u64.counter().describe(docs.at(-1)!) },
    { doc: docs[1] },
  );
  return {
    Doc,
    Tagged,
    docs: hash('docs', { key: u32, value: Doc, maxEntries: 4, doc: docs[2] }),
    tagged: array('tagged', { value: Tagged, maxEntries: 2, doc: docs.join('\n') }),
    config: globals(
      '.rodata',
      { g0: u32.describe(docs[0]!), g1: u64.describe(docs.at(-1)!), g2: Doc },
      { doc: docs.join('\n') },
    ),
  };
}

/** Generates into a folder of this package (so the module resolves @bpfmaps/*), then compiles and imports. */
async function check(docs: readonly string[], source: string): Promise<void> {
  const dir = mkdtempSync(join(WORK, '.work-escaping-'));
  dirs.push(dir);
  const [header, module] = await generate(schemaWith(docs), {
    source,
    header: join(dir, 'maps.h'),
    module: join(dir, 'maps.gen.ts'),
  });
  for (const file of [header!, module!]) writeFileSync(file.path, file.content);
  compileBpf('#include "maps.h"\nchar LICENSE[] SEC("license") = "GPL";\n', { includes: [dir] });
  compileHost(`#include "${join(dir, 'maps.h')}"\nint main(void) { return 0; }\n`);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../../../tsconfig.base.json',
      compilerOptions: {
        noEmit: true,
        strict: true,
        exactOptionalPropertyTypes: true,
        rootDir: '.',
      },
      include: ['maps.gen.ts'],
    }),
  );
  execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { stdio: 'pipe' });
  delete (globalThis as { INJECTED?: unknown }).INJECTED;
  const loaded = (await import(join(dir, 'maps.gen.ts'))) as Record<string, unknown>;
  expect(typeof loaded.openMaps).toBe('function');
  expect(typeof loaded.openGlobals).toBe('function');
  expect((globalThis as { INJECTED?: unknown }).INJECTED).toBeUndefined();
}

describeWith(['clang', 'libbpf-headers', 'cc'], 'user strings in generated files', () => {
  it('known attacks on comments, strings and lines', async () => {
    await check(KNOWN, 'evil*/name\nglobalThis.INJECTED = "source";//.schema.ts');
  });

  it('random strings of the characters that matter (fuzz)', async () => {
    const samples = fc.sample(fc.array(hostile, { minLength: 3, maxLength: 12 }), { numRuns: 4 });
    for (const docs of samples) await check(docs, fc.sample(hostile, 1)[0]! + '.schema.ts');
  });
});

describe('documentation survives escaping', () => {
  it('keeps the words of a doc that holds comment markers', async () => {
    const [header, module] = await generate(schemaWith(['a */ b /* c', 'x', 'y']), {
      source: 'maps.schema.ts',
      header: '/tmp/maps.h',
      module: '/tmp/maps.gen.ts',
    });
    expect(header!.content).toContain('/* a *\\/ b /\\* c */');
    expect(header!.content).toContain(' * a *\\/ b /\\* c\n');
    expect(module!.content).toContain('a *\\/ b /\\* c');
  });
});

mkdirSync(WORK, { recursive: true });
