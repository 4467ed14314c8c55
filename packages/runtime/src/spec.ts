import type { MapDecl } from '@bpfmaps/schema';
import { isComposite, type CType } from '@bpfmaps/schema';
import { BpfError } from './errors.js';
import type { MapInfo } from './map-info.js';

/** Where one member of a key or value lives, as BTF would say it. */
export interface MemberLayout {
  name: string;
  /** Offset in bits from the start of the key or value. */
  bitOffset: number;
  /** Width in bits for a bitfield, else 0. */
  bits: number;
  /** Size in bytes of the member's type. */
  size: number;
}

/** What a map must be, as the schema declared it (generated modules emit these). */
export interface MapSpec {
  name: string;
  /** `enum bpf_map_type` value. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** `map_extra` (bloom filter: number of hash functions). */
  extra?: number;
  /** Members of struct keys and values, for the field-by-field check against the map's BTF. */
  keyMembers?: MemberLayout[];
  valueMembers?: MemberLayout[];
}

/** The flat member layout of a struct or union type; undefined for scalars. */
export function membersOf(type: CType<unknown> | undefined): MemberLayout[] | undefined {
  if (!isComposite(type)) return undefined;
  return type.flatMembers().map((m) => ({
    name: m.name,
    bitOffset: m.bits === undefined ? m.offset * 8 : (m.bitOffset as number),
    bits: m.bits ?? 0,
    size: m.type.size,
  }));
}

/** The spec a schema map declaration implies. */
export function specOf(decl: MapDecl): MapSpec {
  const keyless = decl.kind.keyless;
  return {
    name: decl.name,
    type: decl.kind.id,
    keySize: keyless ? 0 : decl.key.size,
    valueSize: decl.value.size,
    maxEntries: decl.maxEntries,
    flags: decl.flags,
    extra: decl.extra,
    keyMembers: keyless ? undefined : membersOf(decl.key),
    valueMembers: membersOf(decl.value),
  };
}

/** Throws BpfError INCOMPATIBLE listing every difference, when there are any. */
export function refuse(spec: MapSpec, differences: string[]): void {
  if (differences.length === 0) return;
  throw new BpfError({
    code: 'INCOMPATIBLE',
    op: 'open map',
    target: spec.name,
    detail: `layout differs from the schema (${differences.join('; ')}). Regenerate the header and rebuild the BPF object`,
  });
}

/** The differences between the kernel's map info and the spec. */
export function infoDifferences(spec: MapSpec, info: MapInfo): string[] {
  const differences: string[] = [];
  const compare = (what: string, expected: number, actual: number) => {
    if (expected !== actual) differences.push(`${what}: schema says ${expected}, kernel map has ${actual}`);
  };
  compare('type', spec.type, info.type);
  compare('key size', spec.keySize, info.keySize);
  compare('value size', spec.valueSize, info.valueSize);
  compare('max entries', spec.maxEntries, info.maxEntries);
  compare('flags', spec.flags, info.flags);
  return differences;
}

/** Compares member layouts (from BTF) with the spec's; names every difference. */
export function memberDifferences(part: 'key' | 'value', expected: MemberLayout[] | undefined, actual: MemberLayout[] | undefined): string[] {
  if (!expected || !actual) return [];
  const differences: string[] = [];
  const byName = new Map(actual.map((m) => [m.name, m]));
  for (const m of expected) {
    const a = byName.get(m.name);
    if (!a) {
      differences.push(`${part}.${m.name}: missing from the map's BTF`);
      continue;
    }
    byName.delete(m.name);
    const where = (x: MemberLayout) => (x.bits ? `bit ${x.bitOffset} (${x.bits} bits)` : `offset ${x.bitOffset / 8}`);
    if (a.bitOffset !== m.bitOffset || a.bits !== m.bits) differences.push(`${part}.${m.name}: schema says ${where(m)}, BTF says ${where(a)}`);
    else if (!m.bits && a.size !== m.size) differences.push(`${part}.${m.name}: schema says size ${m.size}, BTF says ${a.size}`);
  }
  // Names starting with "__" are the padding members bpfmaps writes into headers.
  for (const extra of byName.keys()) if (!extra.startsWith('__')) differences.push(`${part}.${extra}: in the map's BTF but not in the schema`);
  return differences;
}
