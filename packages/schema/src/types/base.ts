import { BufferReader, BufferWriter } from 'typed-binary';
import { SchemaError } from '../errors.js';
import type { Arbitrary, FastCheck } from './arbitrary-types.js';
import type { ByteInput, ByteOutput } from './serial.js';
import type { MemberSpec, TypeSpec } from '../btf/type-spec.js';
import { cComment, docText } from './text.js';

/**
 * Brand that tells a bpfmaps type from anything else a schema file exports.
 * A string key, not a symbol: it works across copies of this package and
 * needs no import in users' declaration files.
 */
export const TYPE_BRAND = '~bpfmaps.type';

/**
 * Where generated TypeScript encodes one value: every member is a JS
 * expression to splice into the generated source.
 */
export interface EncodeSite {
  view: string;
  offset: string;
  value: string;
  /** Path of the enclosing struct, e.g. `p`. */
  path: string;
  /** Member name as a string literal, e.g. `'sport'`. */
  field: string;
  /** Array index expression, when the value is an array element. */
  index?: string;
  /** Nesting depth of array loops, to name loop variables uniquely. */
  depth: number;
}

/** Where generated TypeScript decodes one value. */
export interface DecodeSite {
  view: string;
  offset: string;
  depth: number;
}

/** Per-use facts a field may carry: set by `.describe()` and `.counter()`. */
export interface FieldMeta {
  /** Documentation: a C comment and JSDoc in the generated files. */
  doc?: string;
  /** An integer the kernel increments: codegen emits an add helper for it. */
  counter?: boolean;
}

/** A member of a struct or union, placed by the layout engine. */
export interface Member {
  name: string;
  type: CType<unknown>;
  /** Byte offset from the start of the composite (a bitfield: of its first byte). */
  offset: number;
  /** Bit offset from the start of the composite, and width, for a bitfield. */
  bitOffset?: number;
  bits?: number;
}

/** A member as generated files and BTF see it: anonymous members inlined, offsets absolute. */
export interface FlatMember extends Member {
  /** Set alone, as one member of a union: optional in TS. */
  optional: boolean;
}

/** A field of a generated TS interface. */
export interface TsField {
  name: string;
  type: string;
  optional: boolean;
  /** JSDoc lines. */
  doc: string[];
}

/** Where a composite's generated codec body reads or writes its members. */
export interface BodySite {
  /** Expression of the composite's first byte. */
  offset: string;
  /** Expression of the composite's TS value. */
  value: string;
  /** Expression of its schema path, for error messages. */
  path: string;
  /** Nesting depth, to name locals uniquely. */
  depth: number;
  /** Members here are set one at a time (inside a union): their TS type includes undefined. */
  optional: boolean;
}

/** The reference codec's view of one composite being written or read. */
export interface ReferenceSite {
  /** The composite's bytes; member offsets index into them. */
  bytes: Uint8Array;
  /** The composite's value (writing) or the object being filled (reading). */
  value: Record<string, unknown>;
  path: string;
}

/** Where a member sits, for the checks a type makes about its place. */
export interface MemberContext {
  /** The direct container. */
  container: 'struct' | 'union';
  /** Anywhere below a union: decoding reads bytes another member wrote. */
  insideUnion: boolean;
}

/** Hands out padding names unique within one C scope (anonymous members share their parent's). */
export class PadNames {
  #next = 0;
  next(): string {
    return `__pad${this.#next++}`;
  }
}

/** A named declaration the generated files spell once: a struct, a union or an enum. */
export interface Declaration {
  readonly name: string;
  readonly cName: string;
  /** A description of the whole shape: two declarations with one name must have the same. */
  shape(): string;
}

/** `o + 4`, or just `o` for offset zero; folds constants (`o + 4` plus 2 is `o + 6`). */
export function plus(offset: string, n: number): string {
  if (n === 0) return offset;
  if (/^\d+$/.test(offset)) return String(Number(offset) + n);
  const folded = /^(.*) \+ (\d+)$/.exec(offset);
  if (folded && !folded[1]!.includes('*')) return `${folded[1]} + ${Number(folded[2]) + n}`;
  return `${offset} + ${n}`;
}

/**
 * CType is the base of every bpfmaps type. Each type states the facts that
 * shared code needs (size, alignment, C spelling, TS spelling, how generated
 * code encodes and decodes it, how it behaves as a struct member), so nothing
 * downstream switches on kinds: padding, bitfields and anonymous members
 * override the member hooks below. Its `writeChecked`/`readValue`, over
 * typed-binary's reader and writer, form the reference codec.
 */
export abstract class CType<T> {
  readonly '~bpfmaps.type' = true as const;
  /** Size in bytes, as `sizeof` in C. */
  abstract readonly size: number;
  /** Alignment in bytes, as `_Alignof` in C (BPF and x86-64 agree). */
  abstract readonly align: number;
  /** The TypeScript type of decoded values, as source text. */
  abstract readonly tsType: string;
  /** Short name for messages: `u16`, `chars(16)`, `struct FlowKey`. */
  abstract readonly label: string;
  readonly meta: FieldMeta = {};

  /** C declaration of `declarator` with this type: `__u32 saddr`, `char comm[16]`. */
  abstract cDeclare(declarator: string): string;

  /** Statements of generated TS that check and encode a value at a site. */
  abstract tsEncode(site: EncodeSite): string[];
  /** An expression of generated TS that decodes a value at a site. */
  abstract tsDecode(site: DecodeSite): string;

  /** Reference encoder: checks `value` and writes it at the output's position. */
  abstract writeChecked(
    output: ByteOutput,
    value: T,
    path: string,
    field: string,
    index?: number,
  ): void;
  /** Reference decoder: reads a value from the input's position, leaving it just past the value. */
  abstract readValue(input: ByteInput): T;

  /**
   * Random valid values, for property tests (fast-check is passed in: it is
   * an optional peer dependency).
   * @internal
   */
  abstract arbitrary(fc: FastCheck): Arbitrary<unknown>;

  /** The types this one is made of: the catalog walks them to find declarations. */
  children(): readonly CType<unknown>[] {
    return [];
  }

  /**
   * The size of one element, for types made of repeated elements (byte and
   * char arrays, arrays): such a type may be an event's variable-length
   * tail, cut to whole elements. Undefined for the others.
   */
  elementSize(): number | undefined {
    return undefined;
  }

  /** What this type is as BTF says it: compared with a map's or an object's BTF, and written into maps bpfmaps creates. */
  abstract typeSpec(): TypeSpec;

  /** The declaration the generated files spell for this type, if it is one (named structs, unions, enums). */
  declaration(): Declaration | undefined {
    return undefined;
  }

  /** A copy of this type documented with `doc` (a C comment and JSDoc on the field). */
  describe(doc: string): this {
    if (typeof doc !== 'string')
      throw new SchemaError(
        'INVALID_TYPE',
        this.label,
        `.describe() takes a string, received ${typeof doc}`,
      );
    return this.withMeta({ doc });
  }

  protected withMeta(meta: FieldMeta): this {
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    Object.assign(copy, this, { meta: { ...this.meta, ...meta } });
    return copy;
  }

  /** The C type name, for `__type(key, ...)` and casts. */
  cTypeName(): string {
    return this.cDeclare('').trim();
  }

  /** A C type name usable before a declarator: an array becomes `__typeof__(__u8[16])`. */
  cTypeRef(): string {
    const name = this.cTypeName();
    return name.includes('[') ? `__typeof__(${name})` : name;
  }

  // ---- Standing alone: as a map key or value, or an array element. ----

  /** Throws SchemaError naming `path` when this type cannot stand alone (padding, bitfields, anonymous members cannot). */
  checkStandalone(_path: string): void {}

  // ---- As a member of a struct or union: the hooks padding, bitfields and anonymous members override. ----

  /** Throws SchemaError naming `path` when this type cannot sit where `context` says. */
  checkMember(_path: string, _context: MemberContext): void {}

  /** What the layout engine needs to place this type as member `name`. */
  layoutInput(name: string): { name: string; size: number; align: number; bits?: number } {
    return { name, size: this.size, align: this.align };
  }

  /** The TS property names this member contributes to its composite's value. */
  memberNames(name: string): string[] {
    return [name];
  }

  /** This member as BTF lists it in its struct or union (padding and bitfields say otherwise). */
  memberSpecs(m: Member): MemberSpec[] {
    return [{ name: m.name, bitOffset: m.offset * 8, bits: 0, type: this.typeSpec() }];
  }

  /** The member as generated files see it, offsets from `base`. */
  flatten(m: Member, base: number, optional: boolean): FlatMember[] {
    return [{ name: m.name, type: m.type, offset: base + m.offset, optional }];
  }

  /** The fields this member adds to the composite's TS interface. */
  tsFields(m: FlatMember): TsField[] {
    const where = `\`${this.cDeclare(m.name)}\` at offset ${m.offset}`;
    return [
      { name: m.name, type: this.tsType, optional: m.optional, doc: docText(this.meta.doc, where) },
    ];
  }

  /** C lines declaring this member inside its composite's braces. */
  cMember(m: Member, _pads: PadNames): string[] {
    return [
      ...cComment(this.meta.doc),
      `${this.cDeclare(m.name)}; /* offset ${m.offset}, size ${this.size} */`,
    ];
  }

  /** Statements of the generated encoder for this member of `site.value`. */
  encodeMember(m: Member, site: BodySite): string[] {
    return this.tsEncode({
      view: 'v',
      offset: plus(site.offset, m.offset),
      value: `${site.value}.${m.name}${site.optional ? '!' : ''}`,
      path: site.path,
      field: `'${m.name}'`,
      depth: 0,
    });
  }

  /** Object literal entries of the generated decoder for this member. */
  decodeMember(m: Member, offset: string): string[] {
    return [
      `${m.name}: ${this.tsDecode({ view: 'v', offset: plus(offset, m.offset), depth: 0 })},`,
    ];
  }

  /** Reference encoder of this member of `site.value` into `site.bytes`. */
  writeMember(m: Member, site: ReferenceSite): void {
    const writer = new BufferWriter(site.bytes.buffer, { endianness: 'little' });
    writer.seekTo(site.bytes.byteOffset + m.offset);
    this.writeChecked(writer, site.value[m.name] as T, site.path, m.name);
  }

  /** Reference decoder of this member from `site.bytes` into `site.value`. */
  readMember(m: Member, site: ReferenceSite): void {
    const reader = new BufferReader(site.bytes.buffer, { endianness: 'little' });
    reader.seekTo(site.bytes.byteOffset + m.offset);
    site.value[m.name] = this.readValue(reader);
  }

  /** @internal Random values of this member, as an object of the names it contributes. */
  memberArbitrary(m: Member, fc: FastCheck): Arbitrary<Record<string, unknown>> {
    return this.arbitrary(fc).map((v) => ({ [m.name]: v }));
  }
}

/** True for any bpfmaps type (brand check: works across copies of this package). */
export function isCType(value: unknown): value is CType<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<string, unknown>)[TYPE_BRAND] === true
  );
}
