/**
 * A map kind states what it is, once: the header template, the codegen
 * model, the runtime's accessor choice and the map spec read these facts,
 * and nothing downstream branches on a kind. Adding a kind means one file
 * of this folder (see CONTRIBUTING.md).
 */
import type { MapDecl } from './decl.js';
import { cFlags } from './flags.js';

/** The parts a map declaration gives. */
export type Part = 'key' | 'value' | 'inner';

/** What a map kind is. */
export interface MapKind<N extends string = string> {
  /** Our name, used in declarations and messages. */
  readonly name: N;
  /** `enum bpf_map_type` member, as the header spells it. */
  readonly cType: string;
  /** Its value in `enum bpf_map_type` (include/uapi/linux/bpf.h). */
  readonly id: number;
  /** The parts a declaration states: key and value types, a value alone, a key and an inner map. */
  readonly parts: readonly Part[];
  /** The @bpfmaps/runtime class that reads and writes the map. */
  readonly accessor: string;
  /** The parts the accessor is typed by and built with, after the map: `HashMap<K, V>(map, keyCodec, valueCodec)`. */
  readonly accessorArgs: readonly Part[];
  /** One value per possible CPU: counters need no atomics, user space reduces the copies. */
  readonly perCpu: boolean;
  /** Keys are the indexes 0..max_entries-1, which always exist (a value is zeroed, not deleted). */
  readonly fixedKeys: boolean;
  /** Typed kernel helpers the header offers for the map: the names of partials in codegen's templates. */
  readonly helpers: readonly string[];
  /** The header partial that adds to a counter field in place, when values can have counters. */
  readonly counterAdd: 'add-atomic' | 'add-plain' | undefined;
  /** The batch commands the kernel has for this map type. */
  readonly batch: {
    readonly lookup: boolean;
    readonly update: boolean;
    readonly delete: boolean;
    readonly lookupAndDelete: boolean;
  };
  /** map_flags this kind accepts, and those it requires. */
  readonly flags: number;
  readonly requiredFlags: number;
  /** Flag pairs the kernel refuses together: [a, b, why]. */
  readonly conflicts: readonly (readonly [number, number, string])[];
  /** The kernel's limit on the value size. */
  readonly maxValueSize: number;
  /** C lines inside the braces of the map's definition in the header. */
  definition(decl: MapDecl): string[];
}

/** Per-CPU values live in per-CPU chunks of at most PCPU_MIN_UNIT_SIZE. */
export const MAX_PERCPU_VALUE_SIZE = 32 * 1024;
/** Other values are kmalloc'ed: at most KMALLOC_MAX_SIZE (4 MiB on x86-64) less the element header. */
export const MAX_VALUE_SIZE = 4 * 1024 * 1024 - 1024;

const NO_BATCH = { lookup: false, update: false, delete: false, lookupAndDelete: false };

/** Builds a kind, filling the facts most kinds share. */
export function defineKind<N extends string>(
  facts: Pick<MapKind<N>, 'name' | 'cType' | 'id' | 'accessor' | 'helpers' | 'flags'> &
    Partial<MapKind<N>>,
): MapKind<N> {
  const parts: readonly Part[] = ['key', 'value'];
  return Object.freeze({
    parts,
    accessorArgs: facts.parts ?? parts,
    perCpu: false,
    fixedKeys: false,
    counterAdd: undefined,
    batch: NO_BATCH,
    requiredFlags: 0,
    conflicts: [],
    maxValueSize: MAX_VALUE_SIZE,
    definition: standardDefinition,
    ...facts,
  });
}

/** The libbpf BTF-style definition lines: type, limits, flags, pinning, then the key and value types. */
export function standardDefinition(decl: MapDecl): string[] {
  return [
    ...definitionHead(decl),
    ...(decl.key ? [`__type(key, ${decl.key.cTypeName()});`] : []),
    ...(decl.value ? [`__type(value, ${decl.value.cTypeName()});`] : []),
  ];
}

/** The lines every definition starts with. */
export function definitionHead(decl: MapDecl): string[] {
  return [
    `__uint(type, ${decl.kind.cType});`,
    `__uint(max_entries, ${decl.maxEntries});`,
    ...(decl.flags ? [`__uint(map_flags, ${cFlags(decl.flags)});`] : []),
    ...(decl.extra ? [`__uint(map_extra, ${decl.extra});`] : []),
    ...(decl.pinning === 'byName' ? ['__uint(pinning, LIBBPF_PIN_BY_NAME);'] : []),
  ];
}
