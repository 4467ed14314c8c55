/**
 * The vocabulary of maps: what a kind states about itself, and what a
 * declaration holds. Kinds (kind.ts and one file per kind) and declarations
 * (decl.ts) both speak it.
 */
import type { CType } from '../types/base.js';
import type { EventType } from './events.js';
import type { MapSpec } from './spec.js';

/** Brand that tells a map declaration from anything else a schema file exports. */
export const MAP_BRAND: unique symbol = Symbol.for('bpfmaps.map') as never;

/** The parts a map declaration gives. */
export type Part = 'key' | 'value' | 'inner' | 'event';

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
  /** max_entries 0 means one per possible CPU, which libbpf (or the runtime, creating it) fills in. */
  readonly cpuSized: boolean;
  /**
   * The kernel keeps BTF for the key and value of this kind (maps bpfmaps
   * creates carry it); for the others it refuses BTF: their values are fds,
   * or they have no key (queue, stack).
   */
  readonly btfTypes: boolean;
  /**
   * The runtime may do its bulk operations on this kind in the kernel
   * (getMany, hasMany, addMany, compare-and-swap through a syscall program):
   * one value per key (not per-CPU), a map sleepable programs may use.
   */
  readonly kernelOps: boolean;
  /**
   * A lookup finds the key itself. False for an LPM trie, whose lookup
   * finds the longest prefix covering the key: a read-modify-write there
   * could read another entry.
   */
  readonly exactLookup: boolean;
  /** A value may hold a bpf_spin_lock (the kernel allows it in hashes and arrays only). */
  readonly spinLock: boolean;
  /** The kernel lets a map of this kind be the inner map of a map-in-map. */
  readonly canBeInner: boolean;
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
  /** The kernel's limit on the value size (smaller for per-CPU kinds). */
  readonly maxValueSize: number;
  /** C lines inside the braces of the map's definition in the header. */
  definition(decl: MapDecl): string[];
}

/** How libbpf pins the map when it loads the object (`__uint(pinning, ...)`). */
export type Pinning = 'none' | 'byName';

/**
 * A kernel map declared in a schema: its name, kind, parts and limits, and
 * the spec they imply. `K`, `V` and `I` are the decoded key, the value and
 * the inner map declaration; `N` is the kind's name.
 */
export interface MapDecl<K = unknown, V = unknown, N extends string = string, I = unknown> {
  readonly [MAP_BRAND]: true;
  /** Name of the map in the kernel and in the C header. */
  readonly name: string;
  readonly kind: MapKind<N>;
  /** The key type, for kinds with keys. */
  readonly key: CType<K> | undefined;
  /** The value type, for kinds with values. */
  readonly value: CType<V> | undefined;
  /** The template of the inner maps, for a map-in-map. */
  readonly inner: (I & MapDecl) | undefined;
  /** The events, for a ring buffer or perf event array: a struct, or tagged structs. */
  readonly event: EventType | undefined;
  /** Maps that come with this one (a ring buffer's drop counter), by role. */
  readonly companions: Readonly<Record<string, MapDecl>>;
  readonly maxEntries: number;
  /** `map_flags` at creation (BPF_F_*, see mapFlags). */
  readonly flags: number;
  /** `map_extra`: for a bloom filter, the number of hash functions. */
  readonly extra: number;
  readonly pinning: Pinning;
  readonly doc: string | undefined;
  /**
   * Served as Prometheus metrics by @bpfmaps/exporter (`bpfmaps export`):
   * counter fields as counters, other numbers as gauges, key fields as labels.
   */
  readonly export: boolean;
  /** What the kernel map must be: computed once, printed by codegen, checked by the runtime. */
  readonly spec: MapSpec;
}
