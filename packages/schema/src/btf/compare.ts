/**
 * Compares what the schema says a type is with what BTF says it is, down to
 * every member of every nested struct: what would decode the bytes wrongly is
 * a difference, what only names things differently is not. Each difference
 * names its path (`value.stats.packets`) and both sides.
 */
import {
  describeSpec,
  flatMemberSpecs,
  sizeOfSpec,
  type CompositeTypeSpec,
  type EnumTypeSpec,
  type TypeSpec,
} from './type-spec.js';

/**
 * The differences between `expected` (the schema's) and `actual` (BTF's) at
 * `path`, as sentences; empty when the schema reads the bytes as BTF lays them out.
 */
export function typeDifferences(path: string, expected: TypeSpec, actual: TypeSpec): string[] {
  const says = (e = describeSpec(expected), a = describeSpec(actual)) => [
    `${path}: schema says ${e}, BTF says ${a}`,
  ];
  // Bytes are a faithful view of anything of their size (an in6_addr read as ipv6, say).
  if (isByteArray(expected) && !isByteArray(actual)) {
    const size = sizeOfSpec(actual);
    return size === sizeOfSpec(expected) && !holdsOpaque(actual)
      ? []
      : says(undefined, `${describeSpec(actual)} (${size} bytes)`);
  }
  switch (expected.kind) {
    case 'int':
      return intDifferences(path, expected, actual) ?? says();
    case 'enum':
      return actual.kind === 'enum'
        ? enumDifferences(path, expected, actual)
        : (intDifferences(path, { size: expected.size, signed: expected.signed }, actual) ??
            says());
    case 'float':
      return actual.kind === 'float' && actual.size === expected.size ? [] : says();
    case 'array':
      if (actual.kind !== 'array') return says();
      if (actual.count !== expected.count) return says();
      return typeDifferences(`${path}[]`, expected.element, actual.element);
    case 'struct':
    case 'union':
      return actual.kind === expected.kind
        ? compositeDifferences(path, expected, actual as CompositeTypeSpec)
        : says();
    case 'pointer':
      return actual.kind === 'pointer' ? [] : says();
    case 'opaque':
      return [];
  }
}

/** An integer read as `expected`: undefined when `actual` is no integer at all. */
function intDifferences(
  path: string,
  expected: { size: number; signed: boolean; char?: true; bigEndian?: true },
  actual: TypeSpec,
): string[] | undefined {
  const name = describeSpec({ kind: 'int', ...expected });
  // A pointer's value reaches user space as a u64; an enum field is its integer.
  if (actual.kind === 'pointer')
    return expected.size === 8 && !expected.signed
      ? []
      : [`${path}: schema says ${name}, BTF says a pointer (read it as u64)`];
  if (actual.kind !== 'int' && actual.kind !== 'enum') return undefined;
  const differences: string[] = [];
  const actualName = describeSpec(actual);
  if (actual.size !== expected.size)
    differences.push(
      `${path}: schema says ${name} (${expected.size} bytes), BTF says ${actualName} (${actual.size} bytes)`,
    );
  else if (
    actual.signed !== expected.signed &&
    !(expected.size === 1 && (expected.char || (actual.kind === 'int' && actual.char)))
  )
    differences.push(
      `${path}: schema says ${expected.signed ? 'signed' : 'unsigned'} ${name}, BTF says ${actual.signed ? 'signed' : 'unsigned'} ${actualName}`,
    );
  // Plain integers in C often hold network order by convention; a __be type says so for sure.
  else if (actual.kind === 'int' && actual.bigEndian && !expected.bigEndian)
    differences.push(
      `${path}: schema says ${name} (host byte order), BTF says ${actualName} (network byte order): use be${expected.size * 8}`,
    );
  return differences;
}

/**
 * Enums compare by size and values. Their signedness in BTF is clang's guess
 * (unsigned unless a constant is negative, and not always then), so values
 * compare as the bits they store.
 */
function enumDifferences(path: string, expected: EnumTypeSpec, actual: EnumTypeSpec): string[] {
  if (expected.size !== actual.size)
    return [`${path}: schema says ${describeSpec(expected)}, BTF says ${describeSpec(actual)}`];
  const differences: string[] = [];
  const bits = (v: number) => BigInt.asUintN(expected.size * 8, BigInt(v));
  const byName = new Map(actual.values.map((v) => [v.name, bits(v.value)]));
  const values = new Set(actual.values.map((v) => bits(v.value)));
  const listed = actual.values.map((v) => `${v.name} = ${v.value}`).join(', ');
  for (const { name, value } of expected.values) {
    const other = byName.get(name);
    if (other !== undefined && other !== bits(value))
      differences.push(
        `${path}: schema says ${name} = ${value}, BTF says ${name} = ${actual.values.find((v) => v.name === name)!.value}`,
      );
    else if (other === undefined && !values.has(bits(value)))
      differences.push(
        `${path}: schema's ${name} = ${value} is no value of ${describeSpec(actual)} (${listed})`,
      );
  }
  return differences;
}

function compositeDifferences(
  path: string,
  expected: CompositeTypeSpec,
  actual: CompositeTypeSpec,
): string[] {
  const differences: string[] = [];
  if (expected.size !== actual.size)
    differences.push(
      `${path}: schema says ${expected.size} bytes, BTF says ${actual.size} (${describeSpec(actual)})`,
    );
  const byName = new Map(flatMemberSpecs(actual).map((m) => [m.name, m]));
  for (const m of flatMemberSpecs(expected)) {
    const at = `${path}.${m.name}`;
    const a = byName.get(m.name);
    if (!a) {
      // Padding need not match: a schema's pad(N), or the __padN members bpfmaps headers write.
      if (!m.padding && !m.name.startsWith('__')) differences.push(`${at}: missing from the BTF`);
      continue;
    }
    byName.delete(m.name);
    const where = (x: { bitOffset: number; bits: number }) =>
      x.bits ? `bit ${x.bitOffset} (${x.bits} bits)` : `offset ${x.bitOffset / 8}`;
    if (a.bitOffset !== m.bitOffset || a.bits !== m.bits)
      differences.push(`${at}: schema says ${where(m)}, BTF says ${where(a)}`);
    else differences.push(...typeDifferences(at, m.type, a.type));
  }
  // Names starting with "__" are the padding members bpfmaps writes into headers.
  // A flexible array member (`__u8 data[]`) has no bytes in the struct: a schema has nothing to say of it.
  for (const [extra, m] of byName)
    if (!extra.startsWith('__') && !m.padding && !(m.type.kind === 'array' && m.type.count === 0))
      differences.push(`${path}.${extra}: in the BTF but not in the schema`);
  return differences;
}

/** An array of unsigned bytes (bytes, ipv6, mac, padding), or nested arrays of them. */
function isByteArray(spec: TypeSpec): boolean {
  if (spec.kind !== 'array') return false;
  const e = spec.element;
  return e.kind === 'array'
    ? isByteArray(e)
    : e.kind === 'int' && e.size === 1 && !e.signed && !e.char && !e.bool;
}

/** Whether a type holds something a schema cannot lay out (a function, a declared-only struct). */
function holdsOpaque(spec: TypeSpec): boolean {
  switch (spec.kind) {
    case 'opaque':
      return true;
    case 'array':
      return holdsOpaque(spec.element);
    case 'struct':
    case 'union':
      return spec.members.some((m) => holdsOpaque(m.type));
    default:
      return false;
  }
}
