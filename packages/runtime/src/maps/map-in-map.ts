/**
 * Maps of maps (BPF_MAP_TYPE_ARRAY_OF_MAPS, HASH_OF_MAPS): each value is an
 * inner map like the declared template. User space stores an inner map by
 * its fd; a lookup reads back its id, which `get` opens as a typed handle.
 */
import type { Codec } from '../codec.js';
import { indexCodec } from './array.js';
import { FdSlotMap } from './fd-slots.js';
import type { MapType } from './map-type.js';
import { setFlags, type SetMode } from './modes.js';
import { RawMap } from './raw-map.js';

/** What an outer map needs of its inner maps: any open typed map handle. */
interface InnerHandle {
  readonly fd: number;
  readonly name: string;
}

abstract class MapOfMaps<K, M> extends FdSlotMap<K> {
  readonly #inner: MapType<M>;

  constructor(map: RawMap, inner: MapType<M>) {
    super(map);
    this.#inner = inner;
  }

  /** Stores `inner` under `key`: it must match the template (type, sizes, max entries). */
  set(key: K, inner: InnerHandle, mode: SetMode = 'any'): void {
    const flags = setFlags(mode, 'set', this.name);
    this.store(
      'set',
      key,
      inner.fd,
      flags,
      `inner map ${inner.name} must match the template ${this.#inner.spec.name}`,
    );
  }

  /** The kernel id of the inner map under `key`, or undefined. */
  id(key: K): number | undefined {
    return this.lookupId('get', key);
  }

  /**
   * A typed handle of the inner map under `key` (checked against the
   * template), or undefined. The caller owns it: close it. Opening by id
   * needs CAP_SYS_ADMIN.
   */
  get(key: K): M | undefined {
    const id = this.id(key);
    return id === undefined ? undefined : this.#inner.wrap(RawMap.openById(id, this.#inner.spec));
  }
}

/** BPF_MAP_TYPE_ARRAY_OF_MAPS: u32 index -> inner map. */
export class ArrayOfMaps<M> extends MapOfMaps<number, M> {
  get accessor(): string {
    return 'ArrayOfMaps';
  }
  readonly keyCodec = indexCodec;
}

/** BPF_MAP_TYPE_HASH_OF_MAPS: key -> inner map. */
export class HashOfMaps<K, M> extends MapOfMaps<K, M> {
  get accessor(): string {
    return 'HashOfMaps';
  }
  readonly keyCodec: Codec<K>;

  constructor(map: RawMap, key: Codec<K>, inner: MapType<M>) {
    super(map, inner);
    this.keyCodec = key;
  }
}
