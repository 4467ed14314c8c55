import type { ISerialOutput } from 'typed-binary';
import { plus } from './base.js';
import { checkComposite, CompositeType, writeBitfield, type BodySite, type CompositeOptions, type Fields, type InferFields, type Member } from './composite.js';
import type { BitfieldType } from './bitfield.js';

export type { Fields, InferFields, Member, CompositeOptions as StructOptions };

/** Zeroing statements for `size` bytes at `base + offset`. */
export function zeroes(base: string, offset: number, size: number): string[] {
  if (size > 8) return [`c.zero(v, ${plus(base, offset)}, ${size});`];
  const lines: string[] = [];
  let done = 0;
  for (const width of [4, 2, 1]) {
    while (size - done >= width) {
      lines.push(`v.setUint${width * 8}(${plus(base, offset + done)}, 0);`);
      done += width;
    }
  }
  return lines;
}

/** A C struct: members in order, laid out by the C ABI, with explicit padding. */
export class StructType<F extends Fields = Fields> extends CompositeType<F, InferFields<F>> {
  readonly keyword = 'struct' as const;

  constructor(name: string, fields: F, options: CompositeOptions = {}, anonymous = false) {
    super(name, fields, options, false, anonymous);
  }

  tsEncodeBody(site: BodySite): string[] {
    const lines = this.anonymous ? [] : [`c.obj(${site.value}, ${site.path}, '');`];
    const byName = new Map(this.members.map((m) => [m.name, m]));
    for (const slot of this.layout.slots) {
      if (slot.kind === 'padding') {
        lines.push(...zeroes(site.offset, slot.offset, slot.size));
      } else if (slot.kind === 'bitfields') {
        lines.push(...zeroes(site.offset, slot.offset, slot.size));
        for (const name of slot.names) {
          const m = byName.get(name) as Member;
          const signed = (m.type as BitfieldType).signed;
          const value = `c.bitsValue(${site.value}.${name}, ${m.bits}, ${signed}, ${site.path}, '${name}')`;
          lines.push(`c.setBits(v, ${site.offset}, ${m.bitOffset}, ${m.bits}, ${value});`);
        }
      } else {
        const m = byName.get(slot.name) as Member;
        lines.push(...(m.type.hidden ? zeroes(site.offset, slot.offset, slot.size) : this.memberEncode(m, site)));
      }
    }
    return lines;
  }

  writeMembers(output: ISerialOutput, start: number, value: Record<string, unknown>, path: string): void {
    const byName = new Map(this.members.map((m) => [m.name, m]));
    for (const slot of this.layout.slots) {
      output.seekTo(start + slot.offset);
      if (slot.kind === 'bitfields') {
        const bytes = new Array<number>(slot.size).fill(0);
        for (const name of slot.names) writeBitfield(bytes, slot.offset, byName.get(name) as Member, value[name], path);
        for (const b of bytes) output.writeUint8(b);
      } else if (slot.kind === 'padding' || (byName.get(slot.name) as Member).type.hidden) {
        for (let i = 0; i < slot.size; i++) output.writeUint8(0);
      } else {
        this.writeMember(output, start, byName.get(slot.name) as Member, value, path);
      }
    }
  }
}

/**
 * struct(name, fields, options) declares a C struct. `name` is the TS interface
 * name and the schema path in errors; the C tag defaults to its snake_case.
 * Options: `packed`, `align` (aligned(N)), `cName`, `doc`.
 * Throws SchemaError for an invalid name, an empty struct, a field whose type
 * is not a bpfmaps type, or a field name used twice.
 */
export function struct<F extends Fields>(name: string, fields: F, options: CompositeOptions = {}): StructType<F> {
  checkComposite('struct', name, fields, options, false);
  return new StructType(name, fields, options);
}

/** An anonymous struct (inside a union): its members belong to the enclosing value. */
export type AnonymousStruct<F extends Fields> = StructType<F> & { readonly anonymous: true };

/** anonymousStruct(fields): C `struct { ... };` with no name, its members inlined into the parent. */
export function anonymousStruct<F extends Fields>(fields: F, options: Omit<CompositeOptions, 'cName'> = {}): AnonymousStruct<F> {
  checkComposite('struct', '(anonymous struct)', fields, options, true);
  return new StructType('(anonymous struct)', fields, options, true) as AnonymousStruct<F>;
}


