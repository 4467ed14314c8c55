/**
 * What structs and unions share: named members laid out by the layout
 * engine, C declarations with explicit padding, and the bodies of the
 * generated and reference codecs. Every member answers for itself through
 * the member hooks of CType (padding, bitfields and anonymous members
 * override them), so nothing here asks what kind of member it holds.
 */
import type { ByteInput, ByteOutput } from './serial.js';
import { obj } from '../codec/primitives.js';
import { SchemaError } from '../errors.js';
import { layoutMembers, type StructLayout } from '../layout.js';
import { checkIdentifier, snakeCase } from '../names.js';
import type { FastCheck } from './arbitrary-types.js';
import { deepFreeze, type CompositeTypeSpec } from '../btf/type-spec.js';
import {
  CType,
  isCType,
  PadNames,
  type BodySite,
  type Declaration,
  type DecodeSite,
  type EncodeSite,
  type FlatMember,
  type Member,
  type MemberContext,
  type ReferenceSite,
  type TsField,
} from './base.js';

/** The fields of a struct or union: name -> type, in declaration (and memory) order. */
export type Fields = Record<string, CType<any>>;

type Infer<S> = S extends CType<infer T> ? T : never;
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (
  i: infer I,
) => void
  ? I
  : never;
type NamedKeys<F> = {
  [K in keyof F]: F[K] extends { readonly '~inline': true } | { readonly '~hidden': true }
    ? never
    : K;
}[keyof F];
type InlineParts<F> = {
  [K in keyof F]: F[K] extends { readonly '~inline': true } ? Infer<F[K]> : never;
}[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The decoded TS value of a struct with these fields (padding hidden, anonymous members inlined). */
export type InferFields<F extends Fields> = Simplify<
  { [K in NamedKeys<F>]: Infer<F[K]> } & UnionToIntersection<InlineParts<F> | {}>
>;

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

export type { FlatMember, Member, BodySite };

export abstract class CompositeType<F extends Fields, T> extends CType<T> implements Declaration {
  abstract readonly keyword: 'struct' | 'union';
  readonly size: number;
  readonly align: number;
  readonly tsType: string;
  readonly label: string;
  /** The C tag; empty for an anonymous composite. */
  readonly cName: string;
  readonly doc: string | undefined;
  readonly layout: StructLayout;
  readonly members: readonly Member[];

  /** `name` is undefined for an anonymous composite, whose members belong to the enclosing one. */
  constructor(
    readonly name: string,
    readonly fields: F,
    readonly options: CompositeOptions,
    union: boolean,
    readonly named: boolean,
  ) {
    super();
    this.cName = named ? (options.cName ?? snakeCase(name)) : '';
    this.doc = options.doc;
    this.tsType = name;
    this.label = name;
    const entries = Object.entries(fields);
    this.layout = layoutMembers(
      entries.map(([n, t]) => t.layoutInput(n)),
      { union, packed: options.packed, align: options.align },
    );
    this.size = this.layout.size;
    this.align = this.layout.align;
    if (this.size === 0) {
      throw new SchemaError(
        'EMPTY_STRUCT',
        name,
        `a ${union ? 'union' : 'struct'} of only zero-width bitfields has no bytes`,
        'Add a member that holds data',
      );
    }
    const placed = new Map(this.layout.placements.map((p) => [p.name, p]));
    this.members = entries
      .filter(([n]) => placed.has(n))
      .map(([n, t]) => {
        const p = placed.get(n)!;
        return {
          name: n,
          type: t,
          offset: p.offset,
          ...(p.bits === undefined ? {} : { bitOffset: p.bitOffset, bits: p.bits }),
        };
      });
  }

  override children(): readonly CType<unknown>[] {
    return Object.values(this.fields);
  }

  override declaration(): Declaration | undefined {
    return this.named ? this : undefined;
  }

  shape(): string {
    return `${this.keyword} ${this.cName} { ${this.members.map((m) => `${m.name}: ${m.type.label}`).join(', ')} }${this.cAttributes()}`;
  }

  /** `__attribute__((packed, aligned(8)))`, or nothing. */
  cAttributes(): string {
    const attrs = [
      this.options.packed ? 'packed' : '',
      this.options.align ? `aligned(${this.options.align})` : '',
    ].filter(Boolean);
    return attrs.length ? ` __attribute__((${attrs.join(', ')}))` : '';
  }

  cDeclare(declarator: string): string {
    return `${this.keyword} ${this.cName} ${declarator}`;
  }

  /** The C member lines inside the braces, explicit padding included, padding named from `pads`. */
  abstract cBody(pads?: PadNames): string[];

  /** Members with anonymous ones inlined and offsets from this composite's start (plus `base`). */
  flatMembers(base = 0, optional = false): FlatMember[] {
    const inUnion = optional || this.keyword === 'union';
    return this.members.flatMap((m) => m.type.flatten(m, base, inUnion));
  }

  /** Names a TS value of this composite carries (anonymous members inlined, padding hidden). */
  tsNames(): string[] {
    return this.members.flatMap((m) => m.type.memberNames(m.name));
  }

  /** The fields of the generated TS interface. */
  interfaceFields(): TsField[] {
    return this.flatMembers().flatMap((m) => m.type.tsFields(m));
  }

  #spec: CompositeTypeSpec | undefined;

  /** One object per type, so specs and the generated module can share it. */
  typeSpec(): CompositeTypeSpec {
    this.#spec ??= deepFreeze({
      kind: this.keyword,
      name: this.cName,
      size: this.size,
      members: this.members.flatMap((m) => m.type.memberSpecs(m)),
    });
    return this.#spec;
  }

  override checkMember(path: string, context: MemberContext): void {
    // Checked for its own place when built; below a union, decoding reads foreign bytes.
    if (!context.insideUnion) return;
    for (const m of this.members)
      m.type.checkMember(`${path}.${m.name}`, { container: this.keyword, insideUnion: true });
  }

  tsEncode(site: EncodeSite): string[] {
    const index = site.index ? ` + '[' + ${site.index} + ']'` : '';
    return [
      `encode${this.name}(${site.view}, ${site.offset}, ${site.value}, ${site.path} + '.' + ${site.field}${index});`,
    ];
  }

  tsDecode(site: DecodeSite): string {
    return `decode${this.name}(${site.view}, ${site.offset})`;
  }

  /** Statements of the generated encoder `encode<Name>(v, o, x, p)`. Unused bytes are always written as zeros. */
  tsEncoder(): string[] {
    return [
      `c.obj(x, p, '');`,
      ...this.tsEncodeBody({ offset: 'o', value: 'x', path: 'p', depth: 0, optional: false }),
    ];
  }

  /** Object literal entries of the generated decoder `decode<Name>(v, o)`. */
  tsDecoder(): string[] {
    return this.tsDecodeEntries('o');
  }

  /** Statements that encode every member of `site.value` at `site.offset`. */
  abstract tsEncodeBody(site: BodySite): string[];

  /** The same statements, placed inline in an enclosing composite's encoder. */
  tsEncodeInline(site: BodySite): string[] {
    return this.tsEncodeBody(site);
  }

  /** Object literal entries that decode every member at `offset`. */
  tsDecodeEntries(offset: string): string[] {
    return this.members.flatMap((m) => m.type.decodeMember(m, offset));
  }

  writeChecked(output: ByteOutput, value: T, path: string, field: string, index?: number): void {
    obj(value, path, field, index);
    const inner =
      field === '' ? path : `${path}.${field}${index === undefined ? '' : `[${index}]`}`;
    const bytes = new Uint8Array(this.size);
    this.writeMembers({ bytes, value: value as Record<string, unknown>, path: inner });
    output.writeSlice(bytes);
  }

  /** Reference encoder of the members into `site.bytes`, which start zeroed. */
  abstract writeMembers(site: ReferenceSite): void;

  readValue(input: ByteInput): T {
    const bytes = new Uint8Array(this.size);
    for (let i = 0; i < this.size; i++) bytes[i] = input.readUint8();
    const out: Record<string, unknown> = {};
    this.readMembers({ bytes, value: out, path: this.name });
    return out as T;
  }

  /** Reference decoder of every member from `site.bytes` into `site.value`. */
  readMembers(site: ReferenceSite): void {
    for (const m of this.members) m.type.readMember(m, site);
  }

  /** @internal The value's parts, one per member: an object of its names. */
  memberArbitraries(fc: FastCheck) {
    return this.members
      .filter((m) => m.type.memberNames(m.name).length > 0)
      .map((m) => m.type.memberArbitrary(m, fc));
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined (is the type imported from @bpfmaps/schema?)';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return typeof value === 'object' && value !== null
    ? 'an object that is not a bpfmaps type'
    : String(value);
}

/** Checks a name, options and fields before a composite is built; every error names its path. */
export function checkComposite(
  keyword: 'struct' | 'union',
  name: string,
  fields: unknown,
  options: CompositeOptions,
  named: boolean,
): void {
  if (named) checkIdentifier(name, String(name), `${keyword} name`);
  if (typeof options !== 'object' || options === null) {
    throw new SchemaError('INVALID_TYPE', name, `the options of a ${keyword} must be an object`);
  }
  if (options.cName !== undefined) checkIdentifier(options.cName, name, `C ${keyword} name`);
  if (options.packed !== undefined && typeof options.packed !== 'boolean') {
    throw new SchemaError(
      'INVALID_TYPE',
      `${name}.packed`,
      `packed must be true or false, received ${JSON.stringify(options.packed)}`,
    );
  }
  if (options.doc !== undefined && typeof options.doc !== 'string') {
    throw new SchemaError(
      'INVALID_TYPE',
      `${name}.doc`,
      `doc must be a string, received ${typeof options.doc}`,
    );
  }
  const align = options.align;
  if (
    align !== undefined &&
    !(Number.isInteger(align) && align > 0 && align <= 4096 && (align & (align - 1)) === 0)
  ) {
    throw new SchemaError(
      'INVALID_TYPE',
      `${name}.align`,
      `aligned(${String(align)}) must be a power of two up to 4096`,
    );
  }
  if (typeof fields !== 'object' || fields === null || Object.keys(fields).length === 0) {
    throw new SchemaError(
      'EMPTY_STRUCT',
      name,
      `a ${keyword} needs at least one field`,
      'Empty structs have size 0 in GNU C and are rejected by the kernel',
    );
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
    type.checkMember(path, { container: keyword, insideUnion: keyword === 'union' });
    for (const n of type.memberNames(field)) {
      if (seen.has(n))
        throw new SchemaError(
          'DUPLICATE_NAME',
          `${name}.${n}`,
          `"${n}" is declared twice (anonymous members share their parent's names)`,
          'Rename one of them',
        );
      seen.add(n);
    }
  }
}

export { PadNames };
