import { Measurer, Schema, type IMeasurer, type ISerialInput, type ISerialOutput, type Parsed } from 'typed-binary';
import type { EnumType } from './enum.js';
import type { CompositeType } from './composite.js';

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
  /** An integer the kernel increments: codegen emits an atomic add helper for it. */
  counter?: boolean;
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
 * code encodes and decodes it), so nothing downstream switches on kinds.
 * Its typed-binary `read`/`write` form the reference codec.
 */
export abstract class CType<T> extends Schema<T> {
  readonly '~bpfmaps.type' = true as const;
  /** Size in bytes, as `sizeof` in C. */
  abstract readonly size: number;
  /** Alignment in bytes, as `_Alignof` in C (BPF and x86-64 agree). */
  abstract readonly align: number;
  /** The TypeScript type of decoded values, as source text. */
  abstract readonly tsType: string;
  /** Short name for messages: `u16`, `chars(16)`, `struct FlowKey`. */
  abstract readonly label: string;
  /** Width in bits when this is a bitfield; the layout engine packs those by bits. */
  readonly bits: number | undefined = undefined;
  /** True when decoding throws on some bytes (a number-mode 64-bit integer beyond 2^53). */
  readonly decodeMayThrow: boolean = false;
  /** True for explicit padding: always zero, absent from the TS type. */
  readonly hidden: boolean = false;
  /** True for an anonymous struct or union, whose members belong to the enclosing one. */
  readonly anonymous: boolean = false;
  readonly meta: FieldMeta = {};

  /** C declaration of `declarator` with this type: `__u32 saddr`, `char comm[16]`. */
  abstract cDeclare(declarator: string): string;

  /** Statements of generated TS that check and encode a value at a site. */
  abstract tsEncode(site: EncodeSite): string[];
  /** An expression of generated TS that decodes a value at a site. */
  abstract tsDecode(site: DecodeSite): string;

  /** Reference encoder: checks `value` and writes it at the output's position. */
  abstract writeChecked(output: ISerialOutput, value: T, path: string, field: string, index?: number): void;

  /** The named structs and unions this type refers to, for dependency order in generated files. */
  structs(): CompositeType<any, unknown>[] {
    return [];
  }

  /** The enums this type refers to, declared before the structs in generated files. */
  enums(): EnumType[] {
    return [];
  }

  /** Throws SchemaError naming `path` when this type cannot be used there (checked by the enclosing struct). */
  validateAt(_path: string): void {}

  /** A copy of this type documented with `doc` (a C comment and JSDoc on the field). */
  describe(doc: string): this {
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

  /** Reference decoder: reads a value from the input's position, leaving it just past the value. */
  abstract readValue(input: ISerialInput): T;

  override write(output: ISerialOutput, value: Parsed<T>): void {
    this.writeChecked(output, value as T, this.label, '');
  }

  override read(input: ISerialInput): Parsed<T> {
    return this.readValue(input) as Parsed<T>;
  }

  override measure(_value: unknown, measurer: IMeasurer = new Measurer()): IMeasurer {
    return measurer.add(this.size);
  }
}

/** True for any bpfmaps type (brand check: works across copies of this package). */
export function isCType(value: unknown): value is CType<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[TYPE_BRAND] === true;
}
