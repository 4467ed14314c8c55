/**
 * A map kind states what it is, once (MapKind, in types.ts): the header template, the codegen
 * model, the runtime's accessor choice and the map spec read these facts,
 * and nothing downstream branches on a kind. Adding a kind means one file
 * of this folder (see CONTRIBUTING.md).
 */
import type { MapDecl, MapKind, Part } from './types.js';
import { cFlags } from './flags.js';

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
    canBeInner: false,
    btfTypes: false,
    kernelOps: false,
    exactLookup: true,
    spinLock: false,
    cpuSized: false,
    counterAdd: undefined,
    batch: NO_BATCH,
    requiredFlags: 0,
    conflicts: [],
    definition: standardDefinition,
    ...facts,
    // Per-CPU values live in per-CPU chunks; others are kmalloc'ed.
    maxValueSize: facts.perCpu ? MAX_PERCPU_VALUE_SIZE : MAX_VALUE_SIZE,
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
    // 0 on a CPU-sized kind: libbpf sets one entry per possible CPU.
    ...(decl.maxEntries ? [`__uint(max_entries, ${decl.maxEntries});`] : []),
    ...(decl.flags ? [`__uint(map_flags, ${cFlags(decl.flags)});`] : []),
    ...(decl.extra ? [`__uint(map_extra, ${decl.extra});`] : []),
    ...(decl.pinning === 'byName' ? ['__uint(pinning, LIBBPF_PIN_BY_NAME);'] : []),
  ];
}
