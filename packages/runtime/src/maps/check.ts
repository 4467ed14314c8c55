/**
 * Opening a map compares it with the schema's spec before any data is read:
 * the kernel's map info, then every member's place where the map has BTF.
 * A mismatch lists each difference.
 */
import {
  FD_ONLY_FLAGS,
  flagNames,
  MAP_KINDS,
  mapFlags,
  type MapSpec,
  type MemberLayout,
} from '@bpfmaps/schema';
import { BpfError } from '../errors.js';
import { btfMembers } from './btf.js';
import type { MapInfo } from './info.js';

/**
 * Throws BpfError INCOMPATIBLE listing every difference between the map and
 * `spec`. `structMembers` looks structs up in the BTF of the map's object,
 * where the event types of ring and perf buffers are (they have no value type).
 */
export function checkMap(
  spec: MapSpec,
  info: MapInfo,
  origin: string,
  structMembers?: (cName: string) => readonly MemberLayout[] | undefined,
): void {
  const target = `${spec.name} from ${origin}`;
  const btf = btfMembers(info.btfId, info.btfKeyTypeId, info.btfValueTypeId, target);
  const differences = [
    ...infoDifferences(spec, info),
    ...memberDifferences('key', spec.keyMembers, btf?.key),
    ...memberDifferences('value', spec.valueMembers, btf?.value),
    ...eventDifferences(spec, structMembers),
  ];
  if (differences.length === 0) return;
  throw new BpfError({
    code: 'INCOMPATIBLE',
    op: 'open map',
    target,
    detail: `layout differs from the schema (${differences.join('; ')}). If the schema changed, regenerate the header and rebuild the BPF object; if not, this is not the map the schema describes`,
  });
}

/** Each event struct against the object's BTF: missing, or member by member. */
function eventDifferences(
  spec: MapSpec,
  structMembers?: (cName: string) => readonly MemberLayout[] | undefined,
): string[] {
  if (!spec.event || !structMembers) return [];
  return spec.event.variants.flatMap((v) => {
    const actual = structMembers(v.cName);
    if (!actual)
      return [
        `event struct ${v.cName} is not in the object's BTF: include the generated header and build with clang -g`,
      ];
    return memberDifferences(`event ${v.name}`, v.members, actual);
  });
}

/** The differences between the kernel's map info and the spec. */
export function infoDifferences(spec: MapSpec, info: MapInfo): string[] {
  const differences: string[] = [];
  const compare = (
    what: string,
    expected: number,
    actual: number,
    show: (n: number) => string = String,
  ) => {
    if (expected !== actual)
      differences.push(`${what}: schema says ${show(expected)}, kernel map has ${show(actual)}`);
  };
  compare('type', spec.type, info.type, (t) => kindOfType(t));
  compare('key size', spec.keySize, info.keySize);
  compare('value size', spec.valueSize, info.valueSize);
  // An inner map declared with BPF_F_INNER_MAP may have any size; 0 on a CPU-sized kind is one per CPU.
  if (!(spec.flags & mapFlags.innerMap) && spec.maxEntries !== 0)
    compare('max entries', spec.maxEntries, info.maxEntries);
  compare('flags', spec.flags & ~FD_ONLY_FLAGS, info.flags & ~FD_ONLY_FLAGS, flagNames);
  compare('map_extra', spec.extra ?? 0, Number(info.extra));
  return differences;
}

/** `hash (1)`, or the number alone for a type no kind has. */
function kindOfType(type: number): string {
  const kind = Object.values(MAP_KINDS).find((k) => k.id === type);
  return kind ? `${kind.name} (${type})` : String(type);
}

/** Compares member layouts (from BTF) with the spec's; names every difference. */
export function memberDifferences(
  part: string,
  expected: readonly MemberLayout[] | undefined,
  actual: readonly MemberLayout[] | undefined,
): string[] {
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
    const where = (x: MemberLayout) =>
      x.bits ? `bit ${x.bitOffset} (${x.bits} bits)` : `offset ${x.bitOffset / 8}`;
    if (a.bitOffset !== m.bitOffset || a.bits !== m.bits)
      differences.push(`${part}.${m.name}: schema says ${where(m)}, BTF says ${where(a)}`);
    else if (!m.bits && a.size !== m.size)
      differences.push(`${part}.${m.name}: schema says size ${m.size}, BTF says ${a.size}`);
  }
  // Names starting with "__" are the padding members bpfmaps writes into headers.
  for (const extra of byName.keys())
    if (!extra.startsWith('__'))
      differences.push(`${part}.${extra}: in the map's BTF but not in the schema`);
  return differences;
}
