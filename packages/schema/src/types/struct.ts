import type { ISerialInput, ISerialOutput } from 'typed-binary';
import { obj } from '../codec/primitives.js';
import { SchemaError } from '../errors.js';
import { layoutStruct, type StructLayout } from '../layout.js';
import { checkIdentifier, snakeCase } from '../names.js';
import { CType, isCType, plus, type DecodeSite, type EncodeSite } from './base.js';

/** The fields of a struct: name -> type, in declaration (and memory) order. */
export type Fields = Record<string, CType<any>>;

/** The decoded TS value of a struct with these fields. */
export type InferFields<F extends Fields> = { [K in keyof F]: F[K] extends CType<infer T> ? T : never };

export interface StructOptions {
  /** The C struct tag; defaults to the snake_case of the name (`FlowKey` -> `flow_key`). */
  cName?: string;
  /** Documentation: a C comment in the header and JSDoc in the TS module. */
  doc?: string;
}

/** One field with its place in memory. */
export interface Member {
  name: string;
  type: CType<unknown>;
  offset: number;
}

/** A C struct: named fields laid out by the C ABI, with explicit padding. */
export class StructType<F extends Fields = Fields> extends CType<InferFields<F>> {
  readonly size: number;
  readonly align: number;
  readonly tsType: string;
  readonly label: string;
  readonly cName: string;
  readonly doc: string | undefined;
  readonly layout: StructLayout;
  readonly members: readonly Member[];

  constructor(
    readonly name: string,
    readonly fields: F,
    options: StructOptions = {},
  ) {
    super();
    this.cName = options.cName ?? snakeCase(name);
    this.doc = options.doc;
    this.tsType = name;
    this.label = name;
    const entries = Object.entries(fields);
    this.layout = layoutStruct(entries.map(([n, t]) => ({ name: n, size: t.size, align: t.align })));
    this.size = this.layout.size;
    this.align = this.layout.align;
    this.members = entries.map(([n, t]) => ({ name: n, type: t, offset: this.layout.offsets[n] as number }));
  }

  cDeclare(declarator: string): string {
    return `struct ${this.cName} ${declarator}`;
  }

  override structs(): StructType[] {
    return [this as unknown as StructType];
  }

  /** Structs this one contains directly or through arrays (not itself). */
  dependencies(): StructType[] {
    return this.members.flatMap((m) => m.type.structs());
  }

  tsEncode(site: EncodeSite): string[] {
    const index = site.index ? ` + '[' + ${site.index} + ']'` : '';
    return [`encode${this.name}(${site.view}, ${site.offset}, ${site.value}, ${site.path} + '.' + ${site.field}${index});`];
  }

  tsDecode(site: DecodeSite): string {
    return `decode${this.name}(${site.view}, ${site.offset})`;
  }

  /**
   * Statements of the generated encoder body, over DataView `v`, offset `o`,
   * value `x` and path `p`. Padding is written as zeros so equal values have
   * equal bytes (hash map keys compare by bytes).
   */
  tsEncodeBody(): string[] {
    const lines = [`c.obj(x, p, '');`];
    for (const slot of this.layout.slots) {
      if (slot.kind === 'padding') {
        lines.push(...zeroes(slot.offset, slot.size));
        continue;
      }
      const type = this.fields[slot.name] as CType<unknown>;
      const field = `'${slot.name}'`;
      lines.push(...type.tsEncode({ view: 'v', offset: plus('o', slot.offset), value: `x.${slot.name}`, path: 'p', field, depth: 0 }));
    }
    return lines;
  }

  /** The object literal entries of the generated decoder, over DataView `v` and offset `o`. */
  tsDecodeEntries(): string[] {
    return this.members.map((m) => `${m.name}: ${m.type.tsDecode({ view: 'v', offset: plus('o', m.offset), depth: 0 })},`);
  }

  writeChecked(output: ISerialOutput, value: InferFields<F>, path: string, field: string, index?: number): void {
    obj(value, path, field, index);
    const inner = field === '' ? path : `${path}.${field}${index === undefined ? '' : `[${index}]`}`;
    const start = output.currentByteOffset;
    for (const slot of this.layout.slots) {
      output.seekTo(start + slot.offset);
      if (slot.kind === 'padding') {
        for (let i = 0; i < slot.size; i++) output.writeUint8(0);
      } else {
        const type = this.fields[slot.name] as CType<unknown>;
        type.writeChecked(output, (value as Record<string, unknown>)[slot.name], inner, slot.name);
      }
    }
    output.seekTo(start + this.size);
  }

  readValue(input: ISerialInput): InferFields<F> {
    const start = input.currentByteOffset;
    const out: Record<string, unknown> = {};
    for (const m of this.members) {
      input.seekTo(start + m.offset);
      out[m.name] = m.type.readValue(input);
    }
    input.seekTo(start + this.size);
    return out as InferFields<F>;
  }
}

/** Zeroing statements for `size` padding bytes at `o + offset`. */
function zeroes(offset: number, size: number): string[] {
  if (size > 8) return [`c.zero(v, ${plus('o', offset)}, ${size});`];
  const lines: string[] = [];
  let done = 0;
  for (const width of [4, 2, 1]) {
    while (size - done >= width) {
      lines.push(`v.setUint${width * 8}(${plus('o', offset + done)}, 0);`);
      done += width;
    }
  }
  return lines;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined (is the type imported from @bpfmaps/schema?)';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return typeof value === 'object' && value !== null ? 'an object that is not a bpfmaps type' : String(value);
}

/**
 * struct(name, fields) declares a C struct. `name` is the TS interface name and
 * the schema path in errors; the C tag defaults to its snake_case.
 * Throws SchemaError for an invalid name, an empty struct or a field whose type
 * is not a bpfmaps type.
 */
export function struct<F extends Fields>(name: string, fields: F, options: StructOptions = {}): StructType<F> {
  checkIdentifier(name, String(name), 'struct name');
  if (options.cName !== undefined) checkIdentifier(options.cName, name, 'C struct name');
  if (typeof fields !== 'object' || fields === null || Object.keys(fields).length === 0) {
    throw new SchemaError('EMPTY_STRUCT', name, 'a struct needs at least one field', 'Empty structs have size 0 in GNU C and are rejected by the kernel');
  }
  for (const [field, type] of Object.entries(fields)) {
    checkIdentifier(field, `${name}.${field}`, 'field name');
    if (!isCType(type)) {
      throw new SchemaError(
        'UNKNOWN_TYPE',
        `${name}.${field}`,
        `unknown type: ${describeValue(type)}`,
        'Use a bpfmaps type: u8..u64, i8..i64, be16, be32, be64, chars(N), arrayOf(T, N) or a struct(...)',
      );
    }
  }
  return new StructType(name, fields, options);
}
