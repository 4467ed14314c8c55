/** The view models of enums, structs and unions: every identifier computed here, not in templates. */
import { createHash } from 'node:crypto';
import { commentLines, type CompositeType, type EnumType } from '@bpfmaps/schema';
import { jsdoc } from './comments.js';
import { tsLiteral, type Refs } from './literal.js';
import type { ModuleNames } from './names.js';

type Composite = CompositeType<any, unknown>;

export interface EnumModel {
  name: string;
  cName: string;
  /** Include guard of the definition (typeGuard). */
  guard: string;
  /** C comment lines. */
  doc: string[];
  jsdoc: string[];
  constants: { name: string; value: number }[];
  /** `'TCP' | 'UDP'`. */
  tsUnion: string;
  /** The Values and Names tables, as TS literals. */
  values: string;
  names: string;
}

export interface StructModel {
  keyword: 'struct' | 'union';
  name: string;
  cName: string;
  /** Include guard of the definition and its asserts (typeGuard). */
  guard: string;
  size: number;
  align: number;
  doc: string[];
  attributes: string;
  jsdoc: string[];
  /** C member lines, padding included. */
  cLines: string[];
  /** `_Static_assert`s, each as a statement and its message (kernel style: the message on a second line). */
  cAsserts: { test: string; message: string }[];
  tsFields: { name: string; type: string; optional: boolean; jsdoc: string[] }[];
  /** Member layouts as a TS literal, for the runtime's BTF check. */
  /** The TypeSpec literal; nested named structs print as their constants. */
  typeSpec: string;
  encode: string[];
  decode: string[];
}

/**
 * `BPFMAPS_TYPE_<cName>_<hash of the C definition>`: two headers that share
 * a type (one schema imports it from another) define it once in a program
 * that includes both, while two different types of one name still meet and
 * fail as a redefinition. Comments are left out of the hash: they change
 * nothing C sees.
 */
function typeGuard(cName: string, definition: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify(definition)).digest('hex');
  return `BPFMAPS_TYPE_${cName}_${hash.slice(0, 8).toUpperCase()}`;
}

/** C member lines without their comments. */
function withoutComments(lines: readonly string[]): string[] {
  return lines.map((l) => l.replace(/\/\*.*?\*\//g, '').trim()).filter(Boolean);
}

export function enumModel(e: EnumType, names: ModuleNames): EnumModel {
  names.claim(e.name, `enum ${e.name}`, e.name);
  names.claim(`${e.name}Values`, `enum ${e.name}`, e.name);
  names.claim(`${e.name}Names`, `enum ${e.name}`, e.name);
  const members = Object.keys(e.values);
  return {
    name: e.name,
    cName: e.cName,
    guard: typeGuard(e.cName, ['enum', e.cName, e.constants()]),
    doc: commentLines(e.doc),
    jsdoc: jsdoc([
      `enum ${e.cName}: decodes to a member name, or to the number when no member has it.`,
      ...commentLines(e.doc),
    ]),
    constants: e.constants(),
    tsUnion: members.map((m) => `'${m}'`).join(' | '),
    values: tsLiteral(e.values),
    names: tsLiteral(e.names),
  };
}

/** Static assert messages are C string literals: they hold only checked identifiers and numbers. */
export function structModel(s: Composite, names: ModuleNames, refs: Refs): StructModel {
  for (const name of [
    s.name,
    `${s.name}Codec`,
    `${s.name}TypeSpec`,
    `encode${s.name}`,
    `decode${s.name}`,
  ]) {
    names.claim(name, `${s.keyword} ${s.name}`, s.name);
  }
  const type = `${s.keyword} ${s.cName}`;
  const spec = s.typeSpec();
  const typeSpec = tsLiteral(spec, refs);
  refs.name(spec, `${s.name}TypeSpec`);
  const cLines = s.cBody();
  return {
    keyword: s.keyword,
    name: s.name,
    cName: s.cName,
    guard: typeGuard(s.cName, [s.keyword, s.cName, withoutComments(cLines), s.cAttributes()]),
    size: s.size,
    align: s.align,
    doc: commentLines(s.doc),
    attributes: s.cAttributes(),
    jsdoc: jsdoc([
      `${s.keyword} ${s.cName}: ${s.size} bytes, aligned to ${s.align}.`,
      ...commentLines(s.doc),
    ]),
    cLines,
    cAsserts: [
      {
        test: `sizeof(${type}) == ${s.size}`,
        message: `bpfmaps: ${s.name} must be ${s.size} bytes`,
      },
      {
        test: `_Alignof(${type}) == ${s.align}`,
        message: `bpfmaps: ${s.name} must be aligned to ${s.align}`,
      },
      ...s
        .flatMembers()
        .filter((m) => m.bits === undefined)
        .map((m) => ({
          test: `__builtin_offsetof(${type}, ${m.name}) == ${m.offset}`,
          message: `bpfmaps: ${s.name}.${m.name} must be at offset ${m.offset}`,
        })),
    ],
    tsFields: s
      .interfaceFields()
      .map((f) => ({ name: f.name, type: f.type, optional: f.optional, jsdoc: jsdoc(f.doc) })),
    typeSpec,
    encode: s.tsEncoder(),
    decode: s.tsDecoder(),
  };
}
