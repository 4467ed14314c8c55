/**
 * Maps of maps (BPF_MAP_TYPE_ARRAY_OF_MAPS, HASH_OF_MAPS): each value is an
 * inner map like the declared template. User space stores an inner map by
 * its fd; a lookup reads back its id, which `get` opens as a typed handle.
 */
import type { Codec } from '../codec.js';
import { indexCodec } from './array.js';
import { FdSlotMap } from './fd-slots.js';
import { checkIndex } from './index-range.js';
import type { MapHandle } from './handle.js';
import type { MapType } from './map-type.js';
import { setFlags, type SetMode } from './modes.js';
import { RawMap } from './raw-map.js';

abstract class MapOfMaps<K, M> extends FdSlotMap<K> {
  readonly #inner: MapType<M>;

  constructor(map: RawMap, inner: MapType<M>) {
    super(map);
    this.#inner = inner;
  }

  /** Stores `inner` under `key` with update flags `flags`: it must match the template. */
  protected put(key: K, inner: M, flags: number): void {
    const handle = inner as unknown as MapHandle;
    const why = `inner map ${handle.name} must match the template ${this.#inner.spec.name} (type, key and value sizes, max entries, flags)`;
    this.store('set', key, handle.fd, flags, why);
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
    if (id === undefined) return undefined;
    const during = { op: 'get', target: this.name, key };
    return this.#inner.wrap(RawMap.openById(id, this.#inner.spec, during));
  }
}

/** BPF_MAP_TYPE_ARRAY_OF_MAPS: u32 index -> inner map. */
export class ArrayOfMaps<M> extends MapOfMaps<number, M> {
  get accessor(): string {
    return 'ArrayOfMaps';
  }
  readonly keyCodec = indexCodec;

  /** An index at or past the end is OUT_OF_RANGE for every operation, before any syscall. */
  protected override checkKey(index: number, op: string): void {
    checkIndex(op, this.name, index, this.raw.info.maxEntries);
  }

  /** Stores `inner` at `index` (its slots always exist: the kernel takes no set mode here). */
  set(index: number, inner: M): void {
    this.put(index, inner, 0);
  }
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

  /** Stores `inner` under `key`; mode 'noexist' refuses a key that has one, 'exist' a key that has none. */
  set(key: K, inner: M, mode: Exclude<SetMode, 'lock'> = 'any'): void {
    this.put(key, inner, setFlags(mode, 'set', this.name));
  }
}
