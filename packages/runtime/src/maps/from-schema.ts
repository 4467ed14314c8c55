/**
 * Maps straight from schema declarations, without codegen: the kind names
 * its accessor class and the parts it is built with; reference codecs
 * encode and decode (slower than generated ones, same bytes).
 */
import { eventStructs, type MapDecl, type Part } from '@bpfmaps/schema';
import { eventDecoder } from '../events/decoder.js';
import { PerfEventArray } from '../events/perf-event-array.js';
import { RingBuffer } from '../events/ring-buffer.js';
import { referenceCodec } from '../codec.js';
import { BpfError } from '../errors.js';
import { ArrayMap } from './array.js';
import type { MapHandle } from './handle.js';
import { HashMap, LpmTrieMap } from './hash.js';
import { ArrayOfMaps, HashOfMaps } from './map-in-map.js';
import { mapType, type MapClass, type MapType } from './map-type.js';
import { PerCpuArrayMap, PerCpuHashMap } from './percpu.js';
import { ProgramArrayMap } from './prog-array.js';
import { BloomFilterMap, QueueMap, StackMap } from './value-maps.js';

/** Every accessor class, by the name a kind gives (MapKind.accessor). */
const ACCESSORS: Record<string, MapClass<never[], MapHandle>> = {
  HashMap,
  ArrayMap,
  LpmTrieMap,
  PerCpuHashMap,
  PerCpuArrayMap,
  QueueMap,
  StackMap,
  BloomFilterMap,
  ArrayOfMaps,
  HashOfMaps,
  ProgramArrayMap,
  RingBuffer,
  PerfEventArray,
};

/** The accessor each kind's maps open as, by the kind's name. */
export interface Accessors<K, V, I> {
  hash: HashMap<K, V>;
  lruHash: HashMap<K, V>;
  percpuHash: PerCpuHashMap<K, V>;
  lruPercpuHash: PerCpuHashMap<K, V>;
  array: ArrayMap<V>;
  percpuArray: PerCpuArrayMap<V>;
  lpmTrie: LpmTrieMap<K, V>;
  queue: QueueMap<V>;
  stack: StackMap<V>;
  bloomFilter: BloomFilterMap<V>;
  arrayOfMaps: ArrayOfMaps<AccessorOf<I>>;
  hashOfMaps: HashOfMaps<K, AccessorOf<I>>;
  progArray: ProgramArrayMap;
  ringbuf: RingBuffer<V>;
  perfEventArray: PerfEventArray<V>;
}

/** The typed accessor of a map declaration: `AccessorOf<typeof flows>` is `HashMap<FlowKey, FlowStats>`. */
export type AccessorOf<D> =
  D extends MapDecl<infer K, infer V, infer N, infer I>
    ? N extends keyof Accessors<K, V, I>
      ? Accessors<K, V, I>[N]
      : MapHandle
    : never;

const PARTS: Record<Part, (decl: MapDecl) => unknown> = {
  key: (decl) => referenceCodec(decl.key!),
  value: (decl) => referenceCodec(decl.value!),
  inner: (decl) => mapTypeOf(decl.inner!),
  event: (decl) =>
    eventDecoder(
      decl.spec.event!,
      eventStructs(decl.event!).map((t) => referenceCodec(t)),
    ),
};

/** The map type of a declaration, with reference codecs. */
export function mapTypeOf<D extends MapDecl>(decl: D): MapType<AccessorOf<D>> {
  const ctor = ACCESSORS[decl.kind.accessor];
  if (!ctor)
    throw new BpfError({
      code: 'NOT_SUPPORTED',
      op: 'open map',
      target: decl.name,
      detail: `no accessor class ${decl.kind.accessor} in this runtime`,
    });
  const args = decl.kind.accessorArgs.map((part) => PARTS[part](decl));
  return mapType(ctor as MapClass<unknown[], AccessorOf<D>>, decl.spec, ...args);
}

/** Creates a fresh kernel map from a schema declaration, typed by its kind, with reference codecs. */
export function mapFromSchema<D extends MapDecl>(decl: D): AccessorOf<D> {
  return mapTypeOf(decl).create();
}
