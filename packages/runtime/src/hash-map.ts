import type { MapDecl } from '@bpfmaps/schema';
import { referenceCodec, type Codec } from './codec.js';
import { fromErrno } from './errors.js';
import { bpf } from './libbpf.js';
import { RawMap, type MapSource } from './map.js';
import { specOf, type MapSpec } from './spec.js';

const ENOENT = 2;

/** How `set` treats an existing key (BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK). */
export type SetMode = 'any' | 'noexist' | 'exist' | 'lock';
const SET_FLAGS: Record<SetMode, number> = { any: 0, noexist: 1, exist: 2, lock: 4 };

/**
 * HashMap is a typed view of a kernel hash map: keys and values are encoded by
 * codecs into buffers reused across calls, and every operation is one bpf(2)
 * syscall. Not safe for concurrent use from several async contexts sharing
 * one handle mid-call (calls are synchronous, so in practice it is).
 */
export class HashMap<K, V> implements Disposable, Iterable<[K, V]> {
  readonly #map: RawMap;
  readonly #key: Codec<K>;
  readonly #value: Codec<V>;
  readonly #keyBytes: Uint8Array;
  readonly #keyView: DataView;
  readonly #valueBytes: Uint8Array;
  readonly #valueView: DataView;

  protected constructor(map: RawMap, key: Codec<K>, value: Codec<V>) {
    this.#map = map;
    this.#key = key;
    this.#value = value;
    this.#keyBytes = new Uint8Array(key.size);
    this.#keyView = new DataView(this.#keyBytes.buffer);
    this.#valueBytes = new Uint8Array(value.size);
    this.#valueView = new DataView(this.#valueBytes.buffer);
  }

  /**
   * Opens an existing map (from a loaded object, see BpfObject.map) after
   * checking its type, key and value sizes against `spec`. Throws BpfError
   * INCOMPATIBLE listing every difference.
   */
  static open<K, V>(source: MapSource, spec: MapSpec, key: Codec<K>, value: Codec<V>): HashMap<K, V> {
    return new HashMap(RawMap.open(source, spec), key, value);
  }

  /** Creates a fresh kernel map from `spec`; it lives until closed (or pinned). */
  static create<K, V>(spec: MapSpec, key: Codec<K>, value: Codec<V>): HashMap<K, V> {
    return new HashMap(RawMap.create(spec), key, value);
  }

  /**
   * Creates a fresh kernel map straight from a schema declaration, with the
   * reference codecs (no codegen needed; generated codecs are faster).
   */
  static fromSchema<K, V>(decl: MapDecl<K, V>): HashMap<K, V> {
    return HashMap.create(specOf(decl), referenceCodec(decl.key), referenceCodec(decl.value));
  }

  get name(): string {
    return this.#map.name;
  }

  get fd(): number {
    return this.#map.fd;
  }

  /** The value stored under `key`, or undefined when there is none. */
  get(key: K): V | undefined {
    this.#key.encode(this.#keyView, 0, key);
    const ret = bpf.lookup(this.#map.fd, this.#keyBytes, this.#valueBytes);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) throw fromErrno(ret, 'get', this.name, key);
    return this.#value.decode(this.#valueView, 0);
  }

  /**
   * Stores `value` under `key`, replacing the whole value (user space cannot
   * update a field in place). Both are encoded and checked before the syscall,
   * so an invalid value leaves the map unchanged.
   */
  set(key: K, value: V, mode: SetMode = 'any'): void {
    this.#key.encode(this.#keyView, 0, key);
    this.#value.encode(this.#valueView, 0, value);
    const ret = bpf.update(this.#map.fd, this.#keyBytes, this.#valueBytes, SET_FLAGS[mode]);
    if (ret < 0) throw fromErrno(ret, 'set', this.name, key);
  }

  /** Removes `key`; true if it was there. */
  delete(key: K): boolean {
    this.#key.encode(this.#keyView, 0, key);
    const ret = bpf.delete(this.#map.fd, this.#keyBytes);
    if (ret === -ENOENT) return false;
    if (ret < 0) throw fromErrno(ret, 'delete', this.name, key);
    return true;
  }

  /**
   * Iterates the map with BPF_MAP_GET_NEXT_KEY, streaming one entry at a time.
   * Under concurrent updates it may miss keys added during iteration; it never
   * yields a key twice (the kernel restarts from the first key when the current
   * one is deleted, so yielded keys are remembered) and stops after max entries.
   */
  *entries(): IterableIterator<[K, V]> {
    const fd = this.#map.fd;
    const size = this.#key.size;
    let current: Uint8Array | null = null;
    const next = new Uint8Array(size);
    const nextView = new DataView(next.buffer);
    const value = new Uint8Array(this.#value.size);
    const valueView = new DataView(value.buffer);
    const seen = new Set<string>();
    const limit = this.#map.info.maxEntries;
    while (seen.size < limit) {
      const ret = bpf.nextKey(fd, current, next);
      if (ret === -ENOENT) return;
      if (ret < 0) throw fromErrno(ret, 'iterate', this.name);
      const id = Buffer.from(next.buffer, 0, size).toString('latin1');
      current = next.slice();
      if (seen.has(id)) continue;
      seen.add(id);
      const found = bpf.lookup(fd, next, value);
      if (found === -ENOENT) continue; // deleted between next-key and lookup
      if (found < 0) throw fromErrno(found, 'iterate', this.name);
      yield [this.#key.decode(nextView, 0), this.#value.decode(valueView, 0)];
    }
  }

  *keys(): IterableIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): IterableIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  close(): void {
    this.#map.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
