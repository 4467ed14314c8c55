import { Measurer, Schema, type IMeasurer, type ISerialInput, type ISerialOutput, type Parsed } from 'typed-binary';
import type { StructType } from './struct.js';

/** Brand that tells a bpfmaps type from anything else a schema file exports. */
export const TYPE_BRAND: unique symbol = Symbol.for('bpfmaps.type') as never;

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

/** `o + 4`, or just `o` for offset zero. */
export function plus(offset: string, n: number): string {
  if (n === 0) return offset;
  return offset === '0' ? String(n) : `${offset} + ${n}`;
}

/**
 * CType is the base of every bpfmaps type. Each type states the facts that
 * shared code needs (size, alignment, C spelling, TS spelling, how generated
 * code encodes and decodes it), so nothing downstream switches on kinds.
 * Its typed-binary `read`/`write` form the reference codec.
 */
export abstract class CType<T> extends Schema<T> {
  readonly [TYPE_BRAND] = true as const;
  /** Size in bytes, as `sizeof` in C. */
  abstract readonly size: number;
  /** Alignment in bytes, as `_Alignof` in C (BPF and x86-64 agree). */
  abstract readonly align: number;
  /** The TypeScript type of decoded values, as source text. */
  abstract readonly tsType: string;
  /** Short name for messages: `u16`, `chars(16)`, `struct FlowKey`. */
  abstract readonly label: string;

  /** C declaration of `declarator` with this type: `__u32 saddr`, `char comm[16]`. */
  abstract cDeclare(declarator: string): string;

  /** Statements of generated TS that check and encode a value at a site. */
  abstract tsEncode(site: EncodeSite): string[];
  /** An expression of generated TS that decodes a value at a site. */
  abstract tsDecode(site: DecodeSite): string;

  /** Reference encoder: checks `value` and writes it at the output's position. */
  abstract writeChecked(output: ISerialOutput, value: T, path: string, field: string, index?: number): void;

  /** The structs this type refers to, for dependency order in generated files. */
  structs(): StructType[] {
    return [];
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
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TYPE_BRAND] === true;
}
