import type { FastCheck } from './arbitrary-types.js';
import { PadNames, type BodySite, type Member, type ReferenceSite } from './base.js';
import {
  checkComposite,
  CompositeType,
  type CompositeOptions,
  type Fields,
  type InferFields,
} from './composite.js';
import { SchemaError } from '../errors.js';
import { BigIntType, IntType } from './int.js';
import { zeroes } from './zeroes.js';

export type { Fields, InferFields };

export interface StructOptions extends CompositeOptions {
  /**
   * A variable-length tail, for event structs (execsnoop's `args`): the last
   * field, a byte, char or element array, of which a sample may carry less.
   * An event shorter than the struct is accepted down to the tail's offset;
   * the tail is cut to what the sample holds, and to `length` (a field
   * counting the tail's bytes) when given.
   */
  tail?: { field: string; length?: string };
}

/** A C struct: members in order, laid out by the C ABI, with explicit padding. */
export class StructType<F extends Fields = Fields> extends CompositeType<F, InferFields<F>> {
  readonly keyword = 'struct' as const;

  /** The variable-length tail, when the struct declares one (see StructOptions.tail). */
  readonly tail: { field: string; length?: string } | undefined;

  constructor(name: string, fields: F, options: StructOptions = {}, named = true) {
    super(name, fields, options, false, named);
    this.tail = options.tail;
  }

  #byName(): Map<string, Member> {
    return new Map(this.members.map((m) => [m.name, m]));
  }

  // Slots are the layout engine's account of every byte: members, bitfield storage, gaps.
  cBody(pads = new PadNames()): string[] {
    const byName = this.#byName();
    return this.layout.slots.flatMap((slot) => {
      if (slot.kind === 'padding')
        return [`__u8 ${pads.next()}[${slot.size}]; /* offset ${slot.offset}: padding */`];
      return slot.names.flatMap((name) => {
        const m = byName.get(name)!;
        return m.type.cMember(m, pads);
      });
    });
  }

  tsEncodeBody(site: BodySite): string[] {
    const byName = this.#byName();
    return this.layout.slots.flatMap((slot) => {
      // Bitfields OR their bits into storage that starts zeroed, as padding does.
      const cleared = slot.kind === 'member' ? [] : zeroes(site.offset, slot.offset, slot.size);
      const names = slot.kind === 'padding' ? [] : slot.names;
      return [
        ...cleared,
        ...names.flatMap((name) => byName.get(name)!.type.encodeMember(byName.get(name)!, site)),
      ];
    });
  }

  writeMembers(site: ReferenceSite): void {
    for (const m of this.members) m.type.writeMember(m, site);
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    return fc
      .tuple(...this.memberArbitraries(fc))
      .map((parts) => Object.assign({}, ...parts) as Record<string, unknown>);
  }
}

/**
 * struct(name, fields, options) declares a C struct. `name` is the TS interface
 * name and the schema path in errors; the C tag defaults to its snake_case.
 * Options: `packed`, `align` (aligned(N)), `cName`, `doc`.
 * Throws SchemaError for an invalid name, an empty struct, a field whose type
 * is not a bpfmaps type, or a field name used twice.
 */
export function struct<F extends Fields>(
  name: string,
  fields: F,
  options: StructOptions = {},
): StructType<F> {
  checkComposite('struct', name, fields, options, true);
  if (options.tail !== undefined) checkTail(name, fields, options.tail);
  return new StructType(name, fields, options);
}

/** The tail is the last field, of repeated elements; its length field an integer before it. */
function checkTail(name: string, fields: Fields, tail: { field: string; length?: string }): void {
  const names = Object.keys(fields);
  const path = `${name}.tail`;
  if (typeof tail !== 'object' || tail === null || typeof tail.field !== 'string') {
    throw new SchemaError(
      'INVALID_TYPE',
      path,
      'tail must be { field, length? } naming fields of the struct',
    );
  }
  if (!names.includes(tail.field)) {
    throw new SchemaError(
      'INVALID_TYPE',
      path,
      `the tail ${JSON.stringify(tail.field)} is not a field of ${name} (its fields: ${names.join(', ')})`,
      `Name its last field, ${names.at(-1)}`,
    );
  }
  if (names.at(-1) !== tail.field) {
    throw new SchemaError(
      'INVALID_TYPE',
      path,
      `the tail ${JSON.stringify(tail.field)} must be the struct's last field (${names.at(-1)})`,
      'Move it to the end',
    );
  }
  const type = fields[tail.field]!;
  if (type.elementSize() === undefined) {
    throw new SchemaError(
      'INVALID_TYPE',
      `${name}.${tail.field}`,
      `${type.label} cannot be a variable-length tail`,
      'Use bytes(N), chars(N) or arrayOf(T, N)',
    );
  }
  if (tail.length === undefined) return;
  const length = fields[tail.length];
  if (
    !length ||
    names.indexOf(tail.length) >= names.length - 1 ||
    !(length instanceof IntType || length instanceof BigIntType) ||
    length.spec.bigEndian
  ) {
    throw new SchemaError(
      'INVALID_TYPE',
      `${path}.length`,
      `the tail's length must be a host-order integer field before the tail, received ${JSON.stringify(tail.length)}`,
    );
  }
}
