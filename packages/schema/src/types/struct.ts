import type { FastCheck } from './arbitrary-types.js';
import { PadNames, type BodySite, type Member, type ReferenceSite } from './base.js';
import {
  checkComposite,
  CompositeType,
  type CompositeOptions,
  type Fields,
  type InferFields,
} from './composite.js';
import { zeroes } from './zeroes.js';

export type { Fields, InferFields, CompositeOptions as StructOptions };

/** A C struct: members in order, laid out by the C ABI, with explicit padding. */
export class StructType<F extends Fields = Fields> extends CompositeType<F, InferFields<F>> {
  readonly keyword = 'struct' as const;

  constructor(name: string, fields: F, options: CompositeOptions = {}, named = true) {
    super(name, fields, options, false, named);
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
  options: CompositeOptions = {},
): StructType<F> {
  checkComposite('struct', name, fields, options, true);
  return new StructType(name, fields, options);
}
