/**
 * Lists the names the system headers of a generated maps.h declare, into
 * data/uapi-names.json, which codegen reads to refuse a schema name the
 * header would clash with (src/uapi.ts). clang reads the headers as a BPF
 * program includes them: its AST gives tags, typedefs, enum constants and
 * globals, its -dD output the macros, each with the header it comes from.
 *
 * Run: npm run uapi-names -w @bpfmaps/codegen. Names are only ever added:
 * uapi headers never drop one, and a machine with older headers must not
 * forget the names newer ones declare.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { fileURLToPath } from 'node:url';

export const DATA_FILE = fileURLToPath(new URL('../data/uapi-names.json', import.meta.url));

/** What maps.h includes, in its order: the uapi headers, then (BPF only) libbpf's. */
const SOURCE = '#include <linux/types.h>\n#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n';

export interface HeaderNames {
  /** Tags of complete structs and unions, and of enums (one C namespace). */
  tags: string[];
  /** Typedefs, enum constants, global variables and functions. */
  identifiers: string[];
  /** Object-like macros (a function-like one only expands before a parenthesis). */
  macros: string[];
}

/** Names by header (`linux/bpf.h`), as data/uapi-names.json holds them. */
export type UapiNames = Record<string, HeaderNames>;

type Category = keyof HeaderNames;

function clang(args: string[]): string {
  const multiarch = `/usr/include/${arch() === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
  return execFileSync('clang', ['-target', 'bpf', `-I${multiarch}`, '-x', 'c', ...args, '-'], {
    input: SOURCE,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/**
 * `linux/bpf.h` for a header that counts, else undefined: compiler built-ins
 * and the architecture's own asm/ headers (whose names all start with `__`,
 * which codegen refuses anyway, and differ between machines) do not.
 */
function headerOf(file: string): string | undefined {
  const match = /\/include\/((?:linux|asm-generic|bpf)\/[^/]+\.h)$/.exec(file);
  return match?.[1];
}

/** The names of every counted header the generated header includes, installed here. */
export function installedNames(): UapiNames {
  const names: Record<string, Record<Category, Set<string>>> = {};
  const add = (file: string, category: Category, name: string) => {
    const header = headerOf(file);
    if (!header || name.startsWith('__')) return;
    names[header] ??= { tags: new Set(), identifiers: new Set(), macros: new Set() };
    names[header][category].add(name);
  };
  declarations(add);
  macros(add);
  return Object.fromEntries(
    Object.entries(names)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([header, sets]) => [
        header,
        {
          tags: [...sets.tags].sort(),
          identifiers: [...sets.identifiers].sort(),
          macros: [...sets.macros].sort(),
        },
      ]),
  );
}

type Add = (file: string, category: Category, name: string) => void;

/**
 * Declarations from clang's JSON AST. A location names its file only when
 * the file changes from the one printed before, so the walk follows every
 * key in order (skipping `includedFrom`, which names the includer).
 */
function declarations(add: Add): void {
  const ast = JSON.parse(clang(['-Xclang', '-ast-dump=json', '-fsyntax-only'])) as unknown;
  let file = '';
  const visit = (node: unknown, topLevel: boolean): void => {
    if (Array.isArray(node)) return node.forEach((n) => visit(n, topLevel));
    if (typeof node !== 'object' || node === null) return;
    const decl = node as { kind?: string; name?: string; completeDefinition?: boolean };
    for (const [key, value] of Object.entries(node)) {
      if (key === 'includedFrom') continue;
      if (key === 'file') file = String(value);
      else visit(value, key === 'inner' ? false : topLevel);
      if (key !== 'loc' || !decl.name) continue;
      // C puts a tag or enum constant declared inside a struct in file scope too.
      if (decl.kind === 'RecordDecl' && decl.completeDefinition) add(file, 'tags', decl.name);
      if (decl.kind === 'EnumDecl') add(file, 'tags', decl.name);
      if (decl.kind === 'EnumConstantDecl' || decl.kind === 'TypedefDecl')
        add(file, 'identifiers', decl.name);
      if (topLevel && (decl.kind === 'VarDecl' || decl.kind === 'FunctionDecl'))
        add(file, 'identifiers', decl.name);
    }
  };
  visit((ast as { inner: unknown[] }).inner, true);
}

/** Object-like macros from `clang -E -dD`, whose line markers say which file defines each. */
function macros(add: Add): void {
  let file = '';
  const defined = new Map<string, string>();
  for (const line of clang(['-E', '-dD']).split('\n')) {
    const marker = /^# \d+ "(.*)"/.exec(line);
    if (marker) file = marker[1]!;
    const define = /^#define ([A-Za-z_]\w*)(?=\s|$)/.exec(line);
    if (define) defined.set(define[1]!, file);
    const undef = /^#undef ([A-Za-z_]\w*)/.exec(line);
    if (undef) defined.delete(undef[1]!);
  }
  for (const [name, at] of defined) add(at, 'macros', name);
}

export function readNames(path = DATA_FILE): UapiNames {
  if (!existsSync(path)) return {};
  const data = JSON.parse(readFileSync(path, 'utf8')) as {
    headers: Record<string, Record<Category, string>>;
  };
  return Object.fromEntries(
    Object.entries(data.headers).map(([header, lists]) => [
      header,
      {
        tags: lists.tags.split(' ').filter(Boolean),
        identifiers: lists.identifiers.split(' ').filter(Boolean),
        macros: lists.macros.split(' ').filter(Boolean),
      },
    ]),
  );
}

/** `a` with every name of `b` added. */
export function merge(a: UapiNames, b: UapiNames): UapiNames {
  const headers = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const union = (x: string[] = [], y: string[] = []) => [...new Set([...x, ...y])].sort();
  return Object.fromEntries(
    headers.map((h) => [
      h,
      {
        tags: union(a[h]?.tags, b[h]?.tags),
        identifiers: union(a[h]?.identifiers, b[h]?.identifiers),
        macros: union(a[h]?.macros, b[h]?.macros),
      },
    ]),
  );
}

/** The file's text: one line per list (prettier keeps it as it is). */
export function serialize(names: UapiNames): string {
  const headers = Object.fromEntries(
    Object.entries(names).map(([h, n]) => [
      h,
      { tags: n.tags.join(' '), identifiers: n.identifiers.join(' '), macros: n.macros.join(' ') },
    ]),
  );
  const about =
    'Names the system headers of a generated maps.h declare, by header. Written by scripts/uapi-names.ts (npm run uapi-names -w @bpfmaps/codegen); names are only added.';
  return `${JSON.stringify({ about, headers }, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = merge(readNames(), installedNames());
  writeFileSync(DATA_FILE, serialize(names));
  const count = (c: Category) => Object.values(names).reduce((n, h) => n + h[c].length, 0);
  console.log(
    `wrote ${DATA_FILE}: ${count('tags')} tags, ${count('identifiers')} identifiers, ${count('macros')} macros`,
  );
}
