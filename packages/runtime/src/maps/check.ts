/**
 * Opening a map compares it with the schema's spec before any data is read:
 * the kernel's map info, then, where the map has BTF, its key and value
 * types down to every member of every nested struct. A mismatch lists each
 * difference.
 */
import {
  FD_ONLY_FLAGS,
  flagNames,
  kindOfId,
  mapFlags,
  typeDifferences,
  type CompositeTypeSpec,
  type MapSpec,
  type TypeSpec,
} from '@bpfmaps/schema';
import { BpfError } from '../errors.js';
import { mapBtfTypes } from './btf.js';
import type { MapInfo } from './info.js';

/**
 * Throws BpfError INCOMPATIBLE listing every difference between the map and
 * `spec`. `structType` looks structs up in the BTF of the map's object,
 * where the event types of ring and perf buffers are (they have no value type).
 */
export function checkMap(
  spec: MapSpec,
  info: MapInfo,
  origin: string,
  structType?: (cName: string) => CompositeTypeSpec | undefined,
): void {
  const target = `${spec.name} from ${origin}`;
  const btf = mapBtfTypes(info.btfId, info.btfKeyTypeId, info.btfValueTypeId, target);
  const differences = [
    ...infoDifferences(spec, info),
    ...partDifferences('key', spec.keyType, btf?.key),
    ...partDifferences('value', spec.valueType, btf?.value),
    ...eventDifferences(spec, structType),
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
  structType?: (cName: string) => CompositeTypeSpec | undefined,
): string[] {
  if (!spec.event || !structType) return [];
  return spec.event.variants.flatMap((v) => {
    const actual = structType(v.cName);
    if (!actual)
      return [
        `event struct ${v.cName} is not in the object's BTF: include the generated header and build with clang -g`,
      ];
    return typeDifferences(`event ${v.name}`, v.type, actual);
  });
}

/** The key or value against the map's BTF, where both say what it is. */
function partDifferences(
  part: string,
  expected: TypeSpec | undefined,
  actual: TypeSpec | undefined,
): string[] {
  return expected && actual ? typeDifferences(part, expected, actual) : [];
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
  const kind = kindOfId(type);
  return kind ? `${kind.name} (${type})` : String(type);
}
