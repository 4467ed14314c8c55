/**
 * Maps of maps (BPF_MAP_TYPE_ARRAY_OF_MAPS, HASH_OF_MAPS): each value is an
 * inner map like the declared template. User space stores an inner map by
 * its fd; a lookup reads back its id, which `get` opens as a typed handle.
 */
import type { Codec } from '../codec.js';
import { closedError, errnoError, type OpClass } from '../errors.js';
import { native } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';
import { indexCodec } from './array.js';
import { deleteMany, entries, type IterateOptions } from './batch.js';
import { MapHandle } from './handle.js';
import type { MapType } from './map-type.js';
import { setFlags, type SetMode } from './modes.js';
import { RawMap } from './raw-map.js';

const ENOENT = 2;
const idCodec: Codec<number> = {
  size: 4,
  encode: (v, o, x) => v.setUint32(o, x, true),
  decode: (v, o) => v.getUint32(o, true),
};

/** What an outer map needs of its inner maps: any open typed map handle. */
interface InnerHandle {
  readonly fd: number;
  readonly name: string;
}

abstract class MapOfMaps<K, M> extends MapHandle {
  readonly valueCodec = idCodec;
  abstract readonly keyCodec: Codec<K>;
  abstract readonly errnoClass: OpClass;
  readonly #inner: MapType<M>;
  readonly #lib = native();
  #memory: NativeBuffer | undefined;

  constructor(map: RawMap, inner: MapType<M>) {
    super(map);
    this.#inner = inner;
  }

  /** Scratch memory for one key and one u32, with `key` encoded. */
  #at(op: string, key: K): { fd: number; memory: NativeBuffer } {
    if (this.raw.closed) throw closedError(op, `map ${this.name}`);
    this.#memory ??= new NativeBuffer(this.keyCodec.size + 4);
    this.keyCodec.encode(this.#memory.view, 0, key);
    return { fd: this.raw.fd(op), memory: this.#memory };
  }

  /** Stores `inner` under `key`: it must match the template (type, sizes, max entries). */
  set(key: K, inner: InnerHandle, mode: SetMode = 'any'): void {
    const flags = setFlags(mode, 'set', this.name);
    const { fd, memory } = this.#at('set', key);
    memory.view.setUint32(this.keyCodec.size, inner.fd, true);
    const ret = this.#lib.update(fd, memory.address, memory.address + this.keyCodec.size, flags);
    if (ret < 0)
      throw errnoError(ret, this.errnoClass, 'set', this.name, {
        key,
        detail: `inner map ${inner.name} must match the template ${this.#inner.spec.name}`,
      });
  }

  /** The kernel id of the inner map under `key`, or undefined. */
  id(key: K): number | undefined {
    const { fd, memory } = this.#at('get', key);
    const ret = this.#lib.lookup(fd, memory.address, memory.address + this.keyCodec.size);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) throw errnoError(ret, this.errnoClass, 'get', this.name, { key });
    return memory.view.getUint32(this.keyCodec.size, true);
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

  /** Removes the inner map under `key` (the map lives on while anything else holds it); true if one was there. */
  delete(key: K): boolean {
    const { fd, memory } = this.#at('delete', key);
    const ret = this.#lib.delete(fd, memory.address);
    if (ret === -ENOENT) return false;
    if (ret < 0) throw errnoError(ret, this.errnoClass, 'delete', this.name, { key });
    return true;
  }

  /** Removes every inner map; returns how many there were. */
  clear(): number {
    return deleteMany(this, [...this.keys()]);
  }

  /** The keys that hold an inner map, with the inner map's id. */
  entries(options: IterateOptions = {}): IterableIterator<[K, number]> {
    return entries(this, { ...options, mode: 'next-key' });
  }

  *keys(): IterableIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  override close(): void {
    if (this.raw.closed) return;
    super.close();
    this.#memory?.free();
  }
}

/** BPF_MAP_TYPE_ARRAY_OF_MAPS: u32 index -> inner map. */
export class ArrayOfMaps<M> extends MapOfMaps<number, M> {
  readonly keyCodec = indexCodec;
  readonly errnoClass: OpClass = 'index';
}

/** BPF_MAP_TYPE_HASH_OF_MAPS: key -> inner map. */
export class HashOfMaps<K, M> extends MapOfMaps<K, M> {
  readonly keyCodec: Codec<K>;
  readonly errnoClass: OpClass = 'element';

  constructor(map: RawMap, key: Codec<K>, inner: MapType<M>) {
    super(map, inner);
    this.keyCodec = key;
  }
}
