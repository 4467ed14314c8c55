/**
 * What a map must be, as data: the schema computes it once; codegen prints
 * it into the generated module and the runtime checks kernel maps against it.
 */
import type { TypeSpec } from '../btf/type-spec.js';
import type { EventSpec } from './events.js';

/** What a kernel map must be: type, sizes, limits and, for structs, each member. */
export interface MapSpec {
  name: string;
  /** The schema's kind name (`hash`, `percpuArray`). */
  kind: string;
  /** `enum bpf_map_type` value. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** `map_extra` (bloom filter: number of hash functions). */
  extra?: number;
  /**
   * Whether the value holds a bpf_spin_lock, which 'lock' operations
   * (BPF_F_LOCK) need. The schema states it for every map with a value;
   * a hand-written spec may leave it out, and then the kernel decides.
   */
  spinLock?: boolean;
  /**
   * What the key and value are, down to every member of every nested struct:
   * compared with the map's BTF when it is opened, and written as BTF into
   * maps created from user space.
   */
  keyType?: TypeSpec;
  valueType?: TypeSpec;
  /** The template every inner map of a map-in-map must match. */
  inner?: MapSpec;
  /** How to decode the events of a ring buffer or perf event array. */
  event?: EventSpec;
  /** Maps that come with this one (a ring buffer's drop counter), by role. */
  companions?: Readonly<Record<string, MapSpec>>;
}

export type { EventSpec };
