export {
  MAP_BRAND,
  MAX_MAP_NAME,
  MAX_KEY_SIZE,
  declareMap,
  isMapDecl,
  type MapDecl,
  type CommonOptions,
  type Pinning,
} from './decl.js';
export {
  defineKind,
  standardDefinition,
  definitionHead,
  MAX_VALUE_SIZE,
  MAX_PERCPU_VALUE_SIZE,
} from './kind.js';
export type { MapKind, Part } from './types.js';
export { mapFlags, cFlags, flagNames, ACCESS_FLAGS, FD_ONLY_FLAGS } from './flags.js';
export type { MapSpec } from './spec.js';
export {
  HASH,
  LRU_HASH,
  PERCPU_HASH,
  LRU_PERCPU_HASH,
  hash,
  lruHash,
  percpuHash,
  lruPercpuHash,
  type MapOptions,
} from './hash.js';
export { ARRAY, PERCPU_ARRAY, array, percpuArray, type ArrayOptions } from './array.js';
export { LPM_TRIE, lpmTrie } from './lpm-trie.js';
export { QUEUE, STACK, queue, stack } from './queue.js';
export { BLOOM_FILTER, bloomFilter, type BloomOptions } from './bloom-filter.js';
export {
  ARRAY_OF_MAPS,
  HASH_OF_MAPS,
  arrayOfMaps,
  hashOfMaps,
  type MapOfMapsOptions,
  type HashOfMapsOptions,
} from './map-in-map.js';
export { PROG_ARRAY, progArray } from './prog-array.js';
export { MAP_KINDS, kindNamed, kindOfId } from './kinds.js';
export { RINGBUF, ringbuf, dropCounter, type RingbufOptions } from './ringbuf.js';
export {
  PERF_EVENT_ARRAY,
  perfEventArray,
  type PerfEventArrayOptions,
} from './perf-event-array.js';
export {
  TaggedEvents,
  tagged,
  eventStructs,
  isTaggedEvents,
  eventSpec,
  type EventType,
  type InferEvent,
  type EventSpec,
  type EventVariantSpec,
} from './events.js';
