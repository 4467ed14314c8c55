/**
 * What a type is, as BTF says it and as the schema means it: plain data.
 * The schema computes one for every type (`type.typeSpec()`), codegen prints
 * them into map, event and globals specs, and the runtime reads the same
 * shape out of a map's or an object's BTF, compares the two, and builds the
 * BTF of the maps it creates from them. Typedefs and qualifiers are gone;
 * what they said that matters (byte order, from `__be16`) is kept.
 */

/** A C integer: `char`, `_Bool`, `__u32`, `__be16`, `long` ... */
export interface IntTypeSpec {
  readonly kind: 'int';
  /** In bytes. */
  readonly size: number;
  readonly signed: boolean;
  /** `char`: neither signed nor unsigned for the purpose of comparing. */
  readonly char?: true;
  readonly bool?: true;
  /** Network byte order (a `__be16`, `__be32` or `__be64` typedef). */
  readonly bigEndian?: true;
}

export interface FloatTypeSpec {
  readonly kind: 'float';
  readonly size: number;
}

/** A pointer (8 bytes on BPF): user space sees its value as a u64. */
export interface PointerTypeSpec {
  readonly kind: 'pointer';
}

export interface ArrayTypeSpec {
  readonly kind: 'array';
  readonly element: TypeSpec;
  readonly count: number;
}

/** A member of a struct or union. An anonymous member has name '' and a composite type named ''. */
export interface MemberSpec {
  readonly name: string;
  /** From the start of the enclosing composite. */
  readonly bitOffset: number;
  /** Width of a bitfield, else 0. */
  readonly bits: number;
  readonly type: TypeSpec;
  /** Explicit padding (`pad(N)`): compared where BTF has it, not missed where it does not. */
  readonly padding?: true;
}

export interface CompositeTypeSpec {
  readonly kind: 'struct' | 'union';
  /** The C tag; '' for an anonymous composite. */
  readonly name: string;
  readonly size: number;
  readonly members: readonly MemberSpec[];
}

export interface EnumValueSpec {
  /** The C constant. */
  readonly name: string;
  readonly value: number;
}

export interface EnumTypeSpec {
  readonly kind: 'enum';
  readonly name: string;
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly EnumValueSpec[];
}

/** What BTF can hold and a schema cannot: void, a function, a forward declaration. */
export interface OpaqueTypeSpec {
  readonly kind: 'opaque';
  readonly size: number;
  /** For messages: `void`, `function`, `struct sock (declared, not defined)`. */
  readonly what: string;
}

export type TypeSpec =
  | IntTypeSpec
  | FloatTypeSpec
  | PointerTypeSpec
  | ArrayTypeSpec
  | CompositeTypeSpec
  | EnumTypeSpec
  | OpaqueTypeSpec;

/** The size of a type in bytes, as `sizeof` in C. */
export function sizeOfSpec(spec: TypeSpec): number {
  switch (spec.kind) {
    case 'pointer':
      return 8;
    case 'array':
      return sizeOfSpec(spec.element) * spec.count;
    default:
      return spec.size;
  }
}

const INT_NAMES: Record<number, string> = { 1: '8', 2: '16', 4: '32', 8: '64' };

/** A type spelled as a C programmer reads it: `__u32`, `__be16`, `char[16]`, `struct flow_key`. */
export function describeSpec(spec: TypeSpec): string {
  switch (spec.kind) {
    case 'int': {
      if (spec.bool) return '_Bool';
      if (spec.char) return 'char';
      const bits = INT_NAMES[spec.size] ?? `${spec.size * 8}-bit`;
      if (spec.bigEndian) return `__be${bits}`;
      return `${spec.signed ? '__s' : '__u'}${bits}`;
    }
    case 'float':
      return spec.size === 4 ? 'float' : spec.size === 8 ? 'double' : `${spec.size}-byte float`;
    case 'pointer':
      return 'a pointer';
    case 'array': {
      // C spells the outer dimension first: __u8[2][4] is two arrays of four.
      const dims: number[] = [];
      let at: TypeSpec = spec;
      while (at.kind === 'array') {
        dims.push(at.count);
        at = at.element;
      }
      return `${describeSpec(at)}${dims.map((n) => `[${n}]`).join('')}`;
    }
    case 'struct':
    case 'union':
      return spec.name ? `${spec.kind} ${spec.name}` : `an anonymous ${spec.kind}`;
    case 'enum':
      return `enum ${spec.name || '(anonymous)'} (${spec.size} bytes)`;
    case 'opaque':
      return spec.what;
  }
}

/**
 * The named members of a composite with anonymous members inlined, offsets
 * from the outermost composite: what C code names as `k.field`.
 */
export function flatMemberSpecs(spec: CompositeTypeSpec, base = 0): MemberSpec[] {
  return spec.members.flatMap((m) =>
    m.name === '' && (m.type.kind === 'struct' || m.type.kind === 'union')
      ? flatMemberSpecs(m.type, base + m.bitOffset)
      : [{ ...m, bitOffset: base + m.bitOffset }],
  );
}

const U8: TypeSpec = { kind: 'int', size: 1, signed: false };

/** `__u8[size]`: bytes, addresses, padding. */
export function byteArraySpec(size: number): TypeSpec {
  return { kind: 'array', element: U8, count: size };
}

/** Freezes a spec and everything in it (specs are shared between declarations). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
