/**
 * The events of a ring buffer or a perf event array: one struct, or several
 * told apart by a leading tag (an enum field at offset 0), which is how real
 * tools multiplex one ring. What the runtime needs to decode them, the
 * schema computes here as data (EventSpec).
 */
import { SchemaError } from '../errors.js';
import { isCType, type CType } from '../types/base.js';
import type { CompositeTypeSpec } from '../btf/type-spec.js';
import { EnumType } from '../types/enum.js';
import { StructType } from '../types/struct.js';
import { SpinLockType } from '../types/pad.js';

/** Brand of tagged event sets: works across copies of this package. */
const TAGGED_BRAND = '~bpfmaps.tagged';

/** Several event structs told apart by their first field, an enum: `tagged('kind', { EXEC: ExecEvent, EXIT: ExitEvent })`. */
export class TaggedEvents<V extends Record<string, StructType> = Record<string, StructType>> {
  readonly [TAGGED_BRAND] = true as const;
  /** The enum of the tag field, shared by every variant. */
  readonly tagType: EnumType;

  constructor(
    /** The tag field: the first field of every variant. */
    readonly field: string,
    /** Enum member name -> the struct it selects. */
    readonly variants: V,
  ) {
    const entries = Object.entries(variants ?? {});
    const path = `tagged(${JSON.stringify(field)})`;
    if (entries.length === 0)
      throw new SchemaError('INVALID_TYPE', path, 'name at least one variant: { MEMBER: Struct }');
    let tagType: EnumType | undefined;
    for (const [member, type] of entries) {
      if (!(type instanceof StructType)) {
        throw new SchemaError(
          'INVALID_TYPE',
          `${path}.${member}`,
          `a variant must be a struct, received ${isCType(type) ? (type as CType<unknown>).label : typeof type}`,
        );
      }
      const first = type.members[0];
      if (first?.name !== field || first.offset !== 0 || !(first.type instanceof EnumType)) {
        throw new SchemaError(
          'INVALID_TYPE',
          `${type.name}.${field}`,
          `every variant starts with the tag: ${type.name}'s first field must be ${field}, an enum`,
          `Declare it first: struct('${type.name}', { ${field}: SomeEnum, ... })`,
        );
      }
      tagType ??= first.type;
      if (first.type.shape() !== tagType.shape()) {
        throw new SchemaError(
          'INVALID_TYPE',
          `${type.name}.${field}`,
          `the tag is ${first.type.name} here but ${tagType.name} in another variant`,
          'Use one enum for the tag of every variant',
        );
      }
      if (!Object.hasOwn(tagType.values, member)) {
        throw new SchemaError(
          'INVALID_TYPE',
          `${path}.${member}`,
          `${member} is not a member of ${tagType.name} (${Object.keys(tagType.values).join(', ')})`,
        );
      }
    }
    this.tagType = tagType!;
  }

  /** The variant structs with the tag value that selects each. */
  list(): { type: StructType; member: string; value: number }[] {
    return Object.entries(this.variants).map(([member, type]) => ({
      type,
      member,
      value: this.tagType.values[member]!,
    }));
  }
}

/** tagged(field, { MEMBER: Struct, ... }): events told apart by their first field, an enum. */
export function tagged<const V extends Record<string, StructType>>(
  field: string,
  variants: V,
): TaggedEvents<V> {
  return new TaggedEvents(field, variants);
}

export function isTaggedEvents(value: unknown): value is TaggedEvents {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<string, unknown>)[TAGGED_BRAND] === true
  );
}

/** What an event declaration takes: one struct, or tagged variants. */
export type EventType = StructType | TaggedEvents;

/** The structs of an event declaration. */
export function eventStructs(event: EventType): StructType[] {
  return isTaggedEvents(event) ? Object.values(event.variants) : [event];
}

/** The decoded TS value of an event declaration. */
export type InferEvent<E> =
  E extends TaggedEvents<infer V>
    ? { [K in keyof V]: V[K] extends CType<infer T> ? T : never }[keyof V]
    : E extends CType<infer T>
      ? T
      : never;

/** How to decode one variant from a sample of any length down to its fixed part. */
export interface EventVariantSpec {
  /** The struct's TS name and C tag. */
  name: string;
  cName: string;
  /** The tag value that selects it (tagged events). */
  tag?: number;
  /** The struct's size, and the bytes a sample must hold: the tail's offset, or the whole size. */
  size: number;
  fixed: number;
  /** The variable-length tail: cut to the sample, and to `length` when the struct names one. */
  tail?: {
    field: string;
    offset: number;
    elementSize: number;
    length?: { offset: number; size: number };
  };
  /** The struct, member by member, for the check against the object's BTF. */
  type: CompositeTypeSpec;
}

/** What the runtime needs to decode the events of a ring or perf buffer. */
export interface EventSpec {
  /** The tag of tagged events: where it is, how wide, and the field's name. */
  tag?: { field: string; offset: number; size: number; signed: boolean };
  variants: readonly EventVariantSpec[];
}

function variantSpec(type: StructType, tag?: number): EventVariantSpec {
  const byName = new Map(type.members.map((m) => [m.name, m]));
  const tailMember = type.tail ? byName.get(type.tail.field) : undefined;
  const lengthMember = type.tail?.length ? byName.get(type.tail.length) : undefined;
  return {
    name: type.name,
    cName: type.cName,
    ...(tag === undefined ? {} : { tag }),
    size: type.size,
    fixed: tailMember ? tailMember.offset : type.size,
    ...(tailMember
      ? {
          tail: {
            field: tailMember.name,
            offset: tailMember.offset,
            elementSize: tailMember.type.elementSize()!,
            ...(lengthMember
              ? { length: { offset: lengthMember.offset, size: lengthMember.type.size } }
              : {}),
          },
        }
      : {}),
    type: type.typeSpec(),
  };
}

/** Checks an event declaration for map `path` and computes its spec; throws SchemaError naming the fault. */
export function eventSpec(path: string, event: unknown): { spec: EventSpec; types: StructType[] } {
  for (const type of event instanceof StructType
    ? [event]
    : isTaggedEvents(event)
      ? Object.values(event.variants)
      : [])
    refuseSpinLocks(path, type);
  if (event instanceof StructType)
    return { spec: { variants: [variantSpec(event)] }, types: [event] };
  if (isTaggedEvents(event)) {
    const list = event.list();
    const first = list[0]!.type.members[0]!;
    return {
      spec: {
        tag: {
          field: event.field,
          offset: 0,
          size: first.type.size,
          signed: event.tagType.storage.spec.signed,
        },
        variants: list.map((v) => variantSpec(v.type, v.value)),
      },
      types: list.map((v) => v.type),
    };
  }
  throw new SchemaError(
    'INVALID_MAP',
    `${path}.event`,
    `event must be a struct, or tagged(field, { ... }) structs, received ${isCType(event) ? event.label : typeof event}`,
    "Declare it as struct('Event', { ... })",
  );
}

/** A lock means nothing in a copy sent one way, and the kernel forbids one in a ring's sample. */
function refuseSpinLocks(path: string, type: StructType): void {
  const lock = type.members.find((m) => m.type instanceof SpinLockType);
  if (lock)
    throw new SchemaError(
      'INVALID_TYPE',
      `${path}.event.${type.name}.${lock.name}`,
      'an event cannot hold a spinLock: events are copies sent to user space, not shared values',
      'Remove the field',
    );
}
