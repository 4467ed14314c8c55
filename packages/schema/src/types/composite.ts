/**
 * What structs and unions share: named members laid out by the layout engine,
 * C declarations with explicit padding, and the bodies of the generated and
 * reference codecs. Anonymous members (an anonymous union inside a struct,
 * an anonymous struct inside a union) are inlined: their members belong to
 * the enclosing value, in C and in TS alike.
 */
import type { ISerialInput, ISerialOutput } from 'typed-binary';
import { bitsValue, obj } from '../codec/primitives.js';
import { SchemaError } from '../errors.js';
import { layoutMembers, type StructLayout } from '../layout.js';
import { checkIdentifier, snakeCase } from '../names.js';
import { CType, isCType, plus, type DecodeSite, type EncodeSite } from './base.js';
import type { BitfieldType } from './bitfield.js';
import type { EnumType } from './enum.js';

/** The fields of a struct or union: name -> type, in declaration (and memory) order. */
export type Fields = Record<string, CType<any>>;

type Infer<S> = S extends CType<infer T> ? T : never;
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type NamedKeys<F> = { [K in keyof F]: F[K] extends { readonly anonymous: true } | { readonly hidden: true } ? never : K }[keyof F];
type AnonymousParts<F> = { [K in keyof F]: F[K] extends { readonly anonymous: true } ? Infer<F[K]> : never }[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The decoded TS value of a struct with these fields (padding hidden, anonymous members inlined). */
export type InferFields<F extends Fields> = Simplify<{ [K in NamedKeys<F>]: Infer<F[K]> } & UnionToIntersection<AnonymousParts<F> | {}>>;

export interface CompositeOptions {
  /** The C tag; defaults to the snake_case of the name (`FlowKey` -> `flow_key`). */
  cName?: string;
  /** Documentation: a C comment in the header and JSDoc in the TS module. */
  doc?: string;
  /** `__attribute__((packed))`: no padding, alignment 1. */
  packed?: boolean;
  /** `__attribute__((aligned(N)))`: at least this alignment (a power of two). */
  align?: number;
}

/** One direct member with its place in memory. */
export interface Member {
  name: string;
  type: CType<unknown>;
  offset: number;
  /** Bit offset from the start of the composite, and width, for a bitfield. */
  bitOffset?: number;
  bits?: number;
}

/** A member as the generated files see it: anonymous members inlined, offsets absolute. */
export interface FlatMember extends Member {
  /** Optional in TS: a union member, which is set alone. */
  optional: boolean;
}

/** Source for the bodies of generated codecs: `o` offset, `x` value, `p` path expressions. */
export interface BodySite {
  offset: string;
  value: string;
  path: string;
  depth: number;
}

export abstract class CompositeType<F extends Fields, T> extends CType<T> {
  abstract readonly keyword: 'struct' | 'union';
  readonly size: number;
  readonly align: number;
  readonly tsType: string;
  readonly label: string;
  readonly cName: string;
  readonly doc: string | undefined;
  readonly layout: StructLayout;
  readonly members: readonly Member[];
  override readonly anonymous: boolean;
  override readonly decodeMayThrow: boolean;

  constructor(
    readonly name: string,
    readonly fields: F,
    readonly options: CompositeOptions,
    union: boolean,
    anonymous: boolean,
  ) {
    super();
    this.anonymous = anonymous;
    this.cName = anonymous ? '' : (options.cName ?? snakeCase(name));
    this.doc = options.doc;
    this.tsType = name;
    this.label = name;
    const entries = Object.entries(fields);
    this.layout = layoutMembers(
      entries.map(([n, t]) => ({ name: n, size: t.size, align: t.align, bits: t.bits })),
      { union, packed: options.packed, align: options.align },
    );
    this.size = this.layout.size;
    this.align = this.layout.align;
    this.decodeMayThrow = entries.some(([, t]) => t.decodeMayThrow);
    if (this.size === 0) {
      throw new SchemaError('EMPTY_STRUCT', name, `a ${union ? 'union' : 'struct'} of only zero-width bitfields has no bytes`, 'Add a member that holds data');
    }
    const placed = new Map(this.layout.placements.map((p) => [p.name, p]));
    this.members = entries
      .filter(([n]) => placed.has(n))
      .map(([n, t]) => {
        const p = placed.get(n)!;
        return { name: n, type: t, offset: p.offset, ...(p.bits === undefined ? {} : { bitOffset: p.bitOffset, bits: p.bits }) };
      });
  }

  /** `__attribute__((packed, aligned(8)))`, or nothing. */
  cAttributes(): string {
    const attrs = [this.options.packed ? 'packed' : '', this.options.align ? `aligned(${this.options.align})` : ''].filter(Boolean);
    return attrs.length ? ` __attribute__((${attrs.join(', ')}))` : '';
  }

  cDeclare(declarator: string): string {
    if (!this.anonymous) return `${this.keyword} ${this.cName} ${declarator}`;
    const body = this.cBody(`__pad_${declarator || 'anon'}_`).map((line) => `\t${line}`);
    return `${this.keyword} {\n${body.join('\n')}\n}${this.cAttributes()}${declarator ? ` ${declarator}` : ''}`;
  }

  /** The C member lines, explicit padding included; `padPrefix` keeps padding names unique across anonymous members. */
  cBody(padPrefix = '__pad'): string[] {
    const lines: string[] = [];
    const declare = (m: Member) => {
      const comment = m.bits === undefined ? `offset ${m.offset}, size ${m.type.size}` : `bits ${m.bitOffset}..${(m.bitOffset as number) + m.bits - 1}`;
      const doc = m.type.meta.doc ? ` ${m.type.meta.doc.replace(/\*\//g, '* /').replace(/\n/g, ' ')}:` : '';
      const decl = m.type.anonymous ? m.type.cDeclare('') : m.type.cDeclare(m.name);
      return `${decl}; /*${doc} ${comment} */`;
    };
    if (this.keyword === 'union') return this.members.flatMap((m) => declare(m).split('\n'));
    const byName = new Map(this.members.map((m) => [m.name, m]));
    for (const slot of this.layout.slots) {
      if (slot.kind === 'padding') lines.push(`__u8 ${slot.name.replace('__pad', padPrefix)}[${slot.size}]; /* offset ${slot.offset}: padding */`);
      else if (slot.kind === 'member') lines.push(declare(byName.get(slot.name)!));
      else for (const name of slot.names) lines.push(declare(byName.get(name)!));
    }
    return lines.flatMap((l) => l.split('\n'));
  }

  /** Members with anonymous ones inlined and offsets from this composite's start. */
  flatMembers(base = 0, optional = false): FlatMember[] {
    return this.members.flatMap((m) => {
      const inUnion = optional || this.keyword === 'union';
      if (m.type.anonymous) return (m.type as unknown as CompositeType<Fields, unknown>).flatMembers(base + m.offset, inUnion);
      return [{ ...m, offset: base + m.offset, ...(m.bitOffset === undefined ? {} : { bitOffset: base * 8 + m.bitOffset }), optional: inUnion }];
    });
  }

  /** Names a TS value of this composite can carry (anonymous members inlined, padding hidden). */
  tsNames(): string[] {
    return this.flatMembers()
      .filter((m) => !m.type.hidden)
      .map((m) => m.name);
  }

  override structs(): CompositeType<Fields, unknown>[] {
    return this.anonymous ? this.dependencies() : [this as CompositeType<Fields, unknown>];
  }

  /** Named composites this one contains directly, through arrays or through anonymous members. */
  dependencies(): CompositeType<Fields, unknown>[] {
    return this.members.flatMap((m) => m.type.structs() as CompositeType<Fields, unknown>[]);
  }

  override enums(): EnumType[] {
    return this.members.flatMap((m) => m.type.enums());
  }

  tsEncode(site: EncodeSite): string[] {
    const index = site.index ? ` + '[' + ${site.index} + ']'` : '';
    return [`encode${this.name}(${site.view}, ${site.offset}, ${site.value}, ${site.path} + '.' + ${site.field}${index});`];
  }

  tsDecode(site: DecodeSite): string {
    return `decode${this.name}(${site.view}, ${site.offset})`;
  }

  /** Statements of the generated encoder over DataView `v`. Unused bytes are always written as zeros. */
  abstract tsEncodeBody(site: BodySite): string[];

  /** Object literal entries of the generated decoder over DataView `v`. */
  tsDecodeEntries(offset: string): string[] {
    return this.members.flatMap((m) => {
      if (m.type.hidden) return [];
      if (m.type.anonymous) return (m.type as unknown as CompositeType<Fields, unknown>).tsDecodeEntries(plus(offset, m.offset));
      if (m.bits !== undefined) return [`${m.name}: c.getBits(v, ${offset}, ${m.bitOffset}, ${m.bits}, ${(m.type as BitfieldType).signed}),`];
      return [`${m.name}: ${m.type.tsDecode({ view: 'v', offset: plus(offset, m.offset), depth: 0 })},`];
    });
  }

  /** The statements that encode one (non-bitfield) member of `site.value`. */
  protected memberEncode(m: Member, site: BodySite): string[] {
    const offset = plus(site.offset, m.offset);
    if (m.type.anonymous) return (m.type as unknown as CompositeType<Fields, unknown>).tsEncodeBody({ ...site, offset, depth: site.depth + 1 });
    return m.type.tsEncode({ view: 'v', offset, value: `${site.value}.${m.name}`, path: site.path, field: `'${m.name}'`, depth: 0 });
  }

  writeChecked(output: ISerialOutput, value: T, path: string, field: string, index?: number): void {
    obj(value, path, field, index);
    const inner = field === '' ? path : `${path}.${field}${index === undefined ? '' : `[${index}]`}`;
    const start = output.currentByteOffset;
    this.writeMembers(output, start, value as Record<string, unknown>, inner);
    output.seekTo(start + this.size);
  }

  /** Reference encoder of the members into `output` at `start` (anonymous members read the same value). */
  abstract writeMembers(output: ISerialOutput, start: number, value: Record<string, unknown>, path: string): void;

  protected writeMember(output: ISerialOutput, start: number, m: Member, value: Record<string, unknown>, path: string): void {
    output.seekTo(start + m.offset);
    if (m.type.anonymous) (m.type as unknown as CompositeType<Fields, unknown>).writeMembers(output, start + m.offset, value, path);
    else m.type.writeChecked(output, value[m.name], path, m.name);
  }

  readValue(input: ISerialInput): T {
    const start = input.currentByteOffset;
    const out: Record<string, unknown> = {};
    this.readMembers(input, start, out);
    input.seekTo(start + this.size);
    return out as T;
  }

  /** Reference decoder: every member, bitfields bit by bit, into `out`. */
  readMembers(input: ISerialInput, start: number, out: Record<string, unknown>): void {
    for (const m of this.members) {
      input.seekTo(start + m.offset);
      if (m.type.hidden) continue;
      if (m.type.anonymous) (m.type as unknown as CompositeType<Fields, unknown>).readMembers(input, start + m.offset, out);
      else if (m.bits !== undefined) out[m.name] = readBitfield(input, start, m);
      else out[m.name] = m.type.readValue(input);
    }
  }
}

/** Reference bitfield read: bit by bit, independent of the generated code's byte-wise getBits. */
function readBitfield(input: ISerialInput, start: number, m: Member): number {
  const first = (m.bitOffset as number) >> 3;
  const last = ((m.bitOffset as number) + (m.bits as number) - 1) >> 3;
  input.seekTo(start + first);
  const bytes = Array.from({ length: last - first + 1 }, () => input.readUint8());
  let v = 0;
  for (let k = (m.bits as number) - 1; k >= 0; k--) {
    const bit = (m.bitOffset as number) + k - first * 8;
    v = v * 2 + (((bytes[bit >> 3] as number) >> (bit & 7)) & 1);
  }
  const width = m.bits as number;
  return (m.type as BitfieldType).signed && v >= 2 ** (width - 1) ? v - 2 ** width : v;
}

/** Reference bitfield write: sets bits one at a time into `bytes`, which start at byte `first`. */
export function writeBitfield(bytes: number[], first: number, m: Member, value: unknown, path: string): void {
  const type = m.type as BitfieldType;
  let v = bitsValue(value, m.bits as number, type.signed, path, m.name);
  if (v < 0) v += 2 ** (m.bits as number);
  for (let k = 0; k < (m.bits as number); k++) {
    const bit = (m.bitOffset as number) + k - first * 8;
    if (Math.floor(v / 2 ** k) % 2 === 1) bytes[bit >> 3] = (bytes[bit >> 3] as number) | (1 << (bit & 7));
  }
}


function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined (is the type imported from @bpfmaps/schema?)';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return typeof value === 'object' && value !== null ? 'an object that is not a bpfmaps type' : String(value);
}

/** Checks a name, options and fields before a composite is built; every error names its path. */
export function checkComposite(keyword: 'struct' | 'union', name: string, fields: unknown, options: CompositeOptions, anonymous: boolean): void {
  if (!anonymous) checkIdentifier(name, String(name), `${keyword} name`);
  if (options.cName !== undefined) checkIdentifier(options.cName, name, `C ${keyword} name`);
  if (options.align !== undefined && !(Number.isInteger(options.align) && options.align > 0 && (options.align & (options.align - 1)) === 0)) {
    throw new SchemaError('INVALID_TYPE', name, `aligned(${String(options.align)}) must be a power of two`);
  }
  if (typeof fields !== 'object' || fields === null || Object.keys(fields).length === 0) {
    throw new SchemaError('EMPTY_STRUCT', name, `a ${keyword} needs at least one field`, 'Empty structs have size 0 in GNU C and are rejected by the kernel');
  }
  const seen = new Set<string>();
  for (const [field, type] of Object.entries(fields)) {
    const path = `${name}.${field}`;
    checkIdentifier(field, path, 'field name');
    if (!isCType(type)) {
      throw new SchemaError(
        'UNKNOWN_TYPE',
        path,
        `unknown type: ${describeValue(type)}`,
        'Use a bpfmaps type: u8..u64, i8..i64, be16, be32, be64, bool, f32, f64, chars(N), bytes(N), arrayOf(T, N), bits(T, N), a struct(...), union(...) or enumType(...)',
      );
    }
    type.validateAt(path);
    if (keyword === 'union' && type.decodeMayThrow) {
      throw new SchemaError('INVALID_TYPE', path, `${type.label} cannot be in a union: decoding reads every member, and a number-mode 64-bit field throws on bytes another member wrote`, 'Use the bigint form (u64, i64)');
    }
    if (keyword === 'union' && (type.hidden || (type.anonymous && (type as unknown as CompositeType<Fields, unknown>).tsNames().length === 0))) {
      throw new SchemaError('INVALID_TYPE', path, 'a union member made only of padding can never be the one set', 'Give it a field that holds data');
    }
    if (type.bits !== undefined && keyword === 'union') throw new SchemaError('INVALID_TYPE', path, 'a union cannot hold a bitfield', 'Wrap it in an anonymous struct');
    const names = type.anonymous ? (type as unknown as CompositeType<Fields, unknown>).tsNames() : type.bits === 0 ? [] : [field];
    for (const n of names) {
      if (seen.has(n)) throw new SchemaError('DUPLICATE_NAME', `${name}.${n}`, `"${n}" is declared twice (anonymous members share their parent's names)`, 'Rename one of them');
      seen.add(n);
    }
  }
}
