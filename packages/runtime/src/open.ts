/**
 * How typed maps come to be: each function takes the accessor class (HashMap,
 * PerCpuArrayMap, QueueMap, ...) and its codecs, so TypeScript infers the
 * key and value types from the codecs. The map is checked against the spec
 * before the handle exists; if anything throws, the fd is closed.
 */
import type { MapDecl } from '@bpfmaps/schema';
import { referenceCodec, type Codec } from './codec.js';
import { RawMap, type MapSource } from './map.js';
import { specOf, type MapSpec } from './spec.js';

/** An accessor class: built over a checked RawMap and its codecs (key and value, or value alone). */
export type MapClass<C extends unknown[], M> = new (map: RawMap, ...codecs: C) => M;

function build<C extends unknown[], M>(ctor: MapClass<C, M>, map: RawMap, codecs: C): M {
  try {
    return new ctor(map, ...codecs);
  } catch (error) {
    map.close();
    throw error;
  }
}

/** Opens an existing map (BpfObject.map gives the source) after checking it against `spec`. */
export function openMap<C extends unknown[], M>(ctor: MapClass<C, M>, source: MapSource, spec: MapSpec, ...codecs: C): M {
  return build(ctor, RawMap.open(source, spec), codecs);
}

/** Opens the map pinned at `path` on a bpf filesystem. */
export function openPinnedMap<C extends unknown[], M>(ctor: MapClass<C, M>, path: string, spec: MapSpec, ...codecs: C): M {
  return build(ctor, RawMap.openPinned(path, spec), codecs);
}

/** Opens the map with kernel id `id`. */
export function openMapById<C extends unknown[], M>(ctor: MapClass<C, M>, id: number, spec: MapSpec, ...codecs: C): M {
  return build(ctor, RawMap.openById(id, spec), codecs);
}

/** Creates a fresh kernel map; it lives until its handle closes, unless pinned. */
export function createMap<C extends unknown[], M>(ctor: MapClass<C, M>, spec: MapSpec, ...codecs: C): M {
  return build(ctor, RawMap.create(spec), codecs);
}

/** Creates a fresh keyed map straight from a schema declaration, with reference codecs (no codegen). */
export function mapFromSchema<K, V, M>(ctor: MapClass<[Codec<K>, Codec<V>], M>, decl: MapDecl<K, V>): M {
  return createMap(ctor, specOf(decl), referenceCodec(decl.key), referenceCodec(decl.value));
}

/** Creates a fresh queue, stack or bloom filter from a schema declaration, with a reference codec. */
export function valueMapFromSchema<V, M>(ctor: MapClass<[Codec<V>], M>, decl: MapDecl<never, V>): M {
  return createMap(ctor, specOf(decl), referenceCodec(decl.value));
}
