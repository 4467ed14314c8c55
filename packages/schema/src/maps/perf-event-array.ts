/**
 * Perf event arrays (BPF_MAP_TYPE_PERF_EVENT_ARRAY): one perf ring per CPU,
 * into which programs output events on the CPU they run on. The kernel
 * counts the samples a full ring loses; the helpers count the outputs that
 * fail in the drop counter that comes with the map.
 */
import { u32 } from '../types/int.js';
import { declareMap, type MapDecl, type Pinning } from './decl.js';
import type { EventType, InferEvent } from './events.js';
import { defineKind, definitionHead } from './kind.js';
import { dropCounter } from './ringbuf.js';

export interface PerfEventArrayOptions<E extends EventType> {
  /** The events: a struct, or tagged(...) structs. */
  event: E;
  /** One slot per CPU; leave it out for every possible CPU (libbpf counts them when loading). */
  maxEntries?: number;
  pinning?: Pinning;
  doc?: string;
}

export const PERF_EVENT_ARRAY = defineKind({
  name: 'perfEventArray',
  cType: 'BPF_MAP_TYPE_PERF_EVENT_ARRAY',
  id: 4,
  // The slots hold perf event fds: u32 keys and values, not typed in BTF.
  parts: ['key', 'value', 'event'],
  accessor: 'PerfEventArray',
  accessorArgs: ['event'],
  cpuSized: true,
  helpers: ['perf-output'],
  flags: 0,
  definition: (decl) => [
    ...definitionHead(decl),
    '__uint(key_size, sizeof(__u32));',
    '__uint(value_size, sizeof(__u32));',
  ],
});

/**
 * perfEventArray(name, { event }) declares a BPF_MAP_TYPE_PERF_EVENT_ARRAY
 * carrying `event`s, and its drop counter `<name>_drops`.
 */
export function perfEventArray<E extends EventType>(
  name: string,
  options: PerfEventArrayOptions<E>,
): MapDecl<never, InferEvent<E>, 'perfEventArray'> {
  return declareMap(PERF_EVENT_ARRAY, name, {
    key: u32,
    value: u32,
    event: options?.event,
    maxEntries: options?.maxEntries ?? 0,
    ...(options?.pinning ? { pinning: options.pinning } : {}),
    ...(options?.doc !== undefined ? { doc: options.doc } : {}),
    companions: { drops: dropCounter(name, options?.pinning) },
  }) as unknown as MapDecl<never, InferEvent<E>, 'perfEventArray'>;
}
