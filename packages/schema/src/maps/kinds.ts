import { ARRAY, PERCPU_ARRAY } from './array.js';
import { BLOOM_FILTER } from './bloom-filter.js';
import { HASH, LRU_HASH, LRU_PERCPU_HASH, PERCPU_HASH } from './hash.js';
import type { MapKind } from './types.js';
import { LPM_TRIE } from './lpm-trie.js';
import { ARRAY_OF_MAPS, HASH_OF_MAPS } from './map-in-map.js';
import { PERF_EVENT_ARRAY } from './perf-event-array.js';
import { PROG_ARRAY } from './prog-array.js';
import { RINGBUF } from './ringbuf.js';
import { QUEUE, STACK } from './queue.js';

/** Every map kind, by name: how a spec's `kind` leads back to its facts. */
export const MAP_KINDS: Readonly<Record<string, MapKind>> = Object.freeze(
  Object.fromEntries(
    [
      HASH,
      LRU_HASH,
      PERCPU_HASH,
      LRU_PERCPU_HASH,
      ARRAY,
      PERCPU_ARRAY,
      LPM_TRIE,
      QUEUE,
      STACK,
      BLOOM_FILTER,
      ARRAY_OF_MAPS,
      HASH_OF_MAPS,
      PROG_ARRAY,
      RINGBUF,
      PERF_EVENT_ARRAY,
    ].map((k) => [k.name, k]),
  ),
);

/** The facts of the kind called `name`; undefined when no kind has that name. */
export function kindNamed(name: string): MapKind | undefined {
  return Object.hasOwn(MAP_KINDS, name) ? MAP_KINDS[name] : undefined;
}

/** The kind of the kernel's map type `id` (BPF_MAP_TYPE_*), if bpfmaps has it. */
export function kindOfId(id: number): MapKind | undefined {
  return Object.values(MAP_KINDS).find((k) => k.id === id);
}
