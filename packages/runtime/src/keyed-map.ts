import type { Codec } from './codec.js';
import { BpfError, fromErrno } from './errors.js';
import { bpf } from './libbpf.js';
import { MapHandle } from './handle.js';
import { NativeBuffer } from './native-buffer.js';
import type { RawMap } from './map.js';

const ENOENT = 2;
const ENOSPC = 28;

/** How `set` treats an existing key (BPF_ANY, BPF_NOEXIST, BPF_EXIST; BPF_F_LOCK for spin-locked values). */
export type SetMode = 'any' | 'noexist' | 'exist' | 'lock';
export const SET_FLAGS: Record<SetMode, number> = { any: 0, noexist: 1, exist: 2, lock: 4 };
const BPF_F_LOCK = 4;

/** How entries() walks the map. */
export type IterationMode = 'batch' | 'next-key';

export interface IterateOptions {
  /** 'batch' (default, falls back to 'next-key' where the kernel has no batch ops for the map). */
  mode?: IterationMode;
  /** Entries per batch syscall (default 256). Memory stays bounded by one batch. */
  batchSize?: number;
}

export interface UpdateOptions {
  /** Read and write under the value's bpf_spin_lock (BPF_F_LOCK): the value must hold one. */
  lock?: boolean;
}

/** struct bpf_map_batch_opts: `sz`, `elem_flags`, `flags`. */
function batchOpts(elemFlags: number): Uint8Array {
  const opts = new Uint8Array(24);
  const view = new DataView(opts.buffer);
  view.setBigUint64(0, 24n, true);
  view.setBigUint64(8, BigInt(elemFlags), true);
  return opts;
}

/** Growable scratch space for batch syscalls, reused across calls. */
class Scratch {
  bytes = new Uint8Array(0);
  view = new DataView(this.bytes.buffer);
  ensure(size: number): void {
    if (this.bytes.length >= size) return;
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
}

/**
 * KeyedMap is the typed view shared by every map with keys and values: hash,
 * LRU hash, array, per-CPU and LPM trie maps. Keys and values are encoded by
 * codecs into buffers reused across calls; each single-element operation is
 * one bpf(2) syscall. Values are checked before any syscall, so an invalid
 * one leaves the map unchanged. Not safe to share across worker threads.
 */
export class KeyedMap<K, V> extends MapHandle implements Iterable<[K, V]> {
  protected readonly keyCodec: Codec<K>;
  protected readonly valueCodec: Codec<V>;
  readonly #key: NativeBuffer;
  readonly #value: NativeBuffer;
  /** Set once the kernel says it has no batch ops for this map. */
  #noBatch = false;

  constructor(map: RawMap, key: Codec<K>, value: Codec<V>) {
    super(map);
    this.keyCodec = key;
    this.valueCodec = value;
    this.#key = new NativeBuffer(key.size);
    this.#value = new NativeBuffer(value.size);
  }

  /** The fd (throws once closed, before any scratch memory is touched), with `key` encoded. */
  #withKey(key: K): number {
    const fd = this.fd;
    this.keyCodec.encode(this.#key.view, 0, key);
    return fd;
  }

  /** The value stored under `key`, or undefined when there is none. */
  get(key: K): V | undefined {
    const fd = this.#withKey(key);
    const ret = bpf.lookup(fd, this.#key.ptr, this.#value.ptr);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) throw fromErrno(ret, 'get', this.name, key);
    return this.valueCodec.decode(this.#value.view, 0);
  }

  /** True when `key` has a value (one lookup syscall). */
  has(key: K): boolean {
    const fd = this.#withKey(key);
    const ret = bpf.lookup(fd, this.#key.ptr, this.#value.ptr);
    if (ret === -ENOENT) return false;
    if (ret < 0) throw fromErrno(ret, 'has', this.name, key);
    return true;
  }

  /**
   * Stores `value` under `key`, replacing the whole value: user space cannot
   * change a field in place. Key and value are checked before the syscall.
   * Throws BpfError KEY_EXISTS (mode 'noexist'), KEY_NOT_FOUND ('exist'), MAP_FULL.
   */
  set(key: K, value: V, mode: SetMode = 'any'): void {
    const fd = this.#withKey(key);
    this.valueCodec.encode(this.#value.view, 0, value);
    const ret = bpf.update(fd, this.#key.ptr, this.#value.ptr, SET_FLAGS[mode]);
    if (ret < 0) throw fromErrno(ret, 'set', this.name, key);
  }

  /** Removes `key`; true if it was there. */
  delete(key: K): boolean {
    const fd = this.#withKey(key);
    const ret = bpf.delete(fd, this.#key.ptr);
    if (ret === -ENOENT) return false;
    if (ret < 0) throw fromErrno(ret, 'delete', this.name, key);
    return true;
  }

  /** Removes `key` and returns its value in one syscall (kernel 5.14+ for hash maps); undefined if absent. */
  getAndDelete(key: K): V | undefined {
    const fd = this.#withKey(key);
    const ret = bpf.lookupAndDelete(fd, this.#key.ptr, this.#value.ptr);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) throw fromErrno(ret, 'getAndDelete', this.name, key);
    return this.valueCodec.decode(this.#value.view, 0);
  }

  /**
   * Read-modify-write from user space: looks the value up, applies `fn`, writes
   * the result back. NOT atomic against the kernel: a program that increments
   * the value in place between the two syscalls loses its increment when this
   * writes the whole value back. With `lock`, both run under the value's
   * bpf_spin_lock (BPF_F_LOCK), which programs must also take. `fn` returning
   * undefined deletes the key.
   */
  update(key: K, fn: (current: V | undefined) => V | undefined, options: UpdateOptions = {}): V | undefined {
    let fd = this.#withKey(key);
    const flags = options.lock ? BPF_F_LOCK : 0;
    const ret = bpf.lookupFlags(fd, this.#key.ptr, this.#value.ptr, flags);
    if (ret < 0 && ret !== -ENOENT) throw fromErrno(ret, 'update', this.name, key);
    const next = fn(ret === -ENOENT ? undefined : this.valueCodec.decode(this.#value.view, 0));
    if (next === undefined) {
      if (ret !== -ENOENT) this.delete(key);
      return undefined;
    }
    fd = this.#withKey(key);
    this.valueCodec.encode(this.#value.view, 0, next);
    const mode = options.lock ? BPF_F_LOCK : ret === -ENOENT ? SET_FLAGS.noexist : SET_FLAGS.exist;
    const written = bpf.update(fd, this.#key.ptr, this.#value.ptr, mode);
    if (written < 0) throw fromErrno(written, 'update', this.name, key);
    return next;
  }

  /** Looks up many keys in one pass; the result has one entry per key (undefined where absent). */
  getMany(keys: Iterable<K>): (V | undefined)[] {
    return Array.from(keys, (key) => this.get(key));
  }

  /**
   * Writes many entries with BPF_MAP_UPDATE_BATCH (one syscall per `batchSize`
   * entries). Every key and value is encoded and checked before the first
   * syscall: a bad one throws and nothing is written. A kernel error mid-way
   * (map full) leaves the entries before it written, and says how many.
   */
  setMany(entries: Iterable<readonly [K, V]>, mode: SetMode = 'any'): void {
    const list = Array.from(entries);
    if (list.length === 0) return;
    const keys = new Uint8Array(list.length * this.keyCodec.size);
    const values = new Uint8Array(list.length * this.valueCodec.size);
    const kv = new DataView(keys.buffer);
    const vv = new DataView(values.buffer);
    list.forEach(([k, v], i) => {
      this.keyCodec.encode(kv, i * this.keyCodec.size, k);
      this.valueCodec.encode(vv, i * this.valueCodec.size, v);
    });
    if (!this.#noBatch) {
      const count = [list.length];
      const ret = bpf.updateBatch(this.fd, keys, values, count, batchOpts(SET_FLAGS[mode]));
      if (ret === 0) return;
      if (!isUnsupported(ret) || count[0] !== 0) {
        throw fromErrno(ret, 'setMany', this.name, list[count[0] ?? 0]?.[0], `${count[0]} of ${list.length} entries were written`);
      }
      this.#noBatch = true;
    }
    list.forEach(([k], i) => {
      const ret = bpf.update(this.fd, keys.subarray(i * this.keyCodec.size), values.subarray(i * this.valueCodec.size), SET_FLAGS[mode]);
      if (ret < 0) throw fromErrno(ret, 'setMany', this.name, k, `${i} of ${list.length} entries were written`);
    });
  }

  /**
   * Deletes many keys with BPF_MAP_DELETE_BATCH; returns how many were there.
   * Keys are all encoded before the first syscall.
   */
  deleteMany(keys: Iterable<K>): number {
    const list = Array.from(keys);
    const ks = this.keyCodec.size;
    const bytes = new Uint8Array(list.length * ks);
    const view = new DataView(bytes.buffer);
    list.forEach((k, i) => this.keyCodec.encode(view, i * ks, k));
    let deleted = 0;
    let i = 0;
    while (i < list.length && !this.#noBatch) {
      const count = [list.length - i];
      const ret = bpf.deleteBatch(this.fd, bytes.subarray(i * ks), count, null);
      const done = count[0] ?? 0;
      deleted += done;
      i += done;
      if (ret === 0) return deleted;
      if (ret === -ENOENT) i++; // the batch stops at a missing key: skip it
      else if (isUnsupported(ret) && done === 0) this.#noBatch = true;
      else throw fromErrno(ret, 'deleteMany', this.name, list[i], `${deleted} keys were deleted before it`);
    }
    for (; i < list.length; i++) {
      const ret = bpf.delete(this.fd, bytes.subarray(i * ks));
      if (ret === 0) deleted++;
      else if (ret !== -ENOENT) throw fromErrno(ret, 'deleteMany', this.name, list[i]);
    }
    return deleted;
  }

  /**
   * Iterates every entry. By default with BPF_MAP_LOOKUP_BATCH: each batch is a
   * consistent read of the buckets it covers, memory stays bounded by one batch,
   * and an entry added or deleted during the walk may or may not be seen.
   * Falls back to BPF_MAP_GET_NEXT_KEY where the kernel has no batch ops for
   * the map (LPM tries): that walk never yields a key twice (the kernel
   * restarts from the first key when the current one is deleted, so yielded
   * keys are remembered), and stops after max_entries keys.
   */
  *entries(options: IterateOptions = {}): IterableIterator<[K, V]> {
    if (options.mode !== 'next-key' && !this.#noBatch) {
      const batches = this.#batches(options.batchSize ?? 256);
      const first = batches.next();
      if (first.done !== true || first.value !== 'unsupported') {
        if (first.done !== true) yield* first.value as [K, V][];
        for (const batch of batches) yield* batch as [K, V][];
        return;
      }
      this.#noBatch = true;
    }
    yield* this.#walk();
  }

  /** Batches of decoded entries; yields 'unsupported' first if the kernel has no batch lookup here. */
  *#batches(batchSize: number): Generator<[K, V][] | 'unsupported'> {
    const fd = this.fd;
    const ks = this.keyCodec.size;
    const vs = this.valueCodec.size;
    // The batch token is a kernel cursor: a u32 bucket for hash maps, a key for arrays.
    const tokenIn = new Uint8Array(Math.max(ks, 8));
    const tokenOut = new Uint8Array(Math.max(ks, 8));
    const keys = new Scratch();
    const values = new Scratch();
    let size = batchSize;
    let started = false;
    for (;;) {
      keys.ensure(size * ks);
      values.ensure(size * vs);
      const count = [size];
      const ret = bpf.lookupBatch(fd, started ? tokenIn : null, tokenOut, keys.bytes, values.bytes, count, null);
      if (ret === -ENOSPC && (count[0] ?? 0) === 0) {
        size *= 2; // one hash bucket holds more entries than a batch
        continue;
      }
      if (ret < 0 && ret !== -ENOENT) {
        if (!started && isUnsupported(ret)) {
          yield 'unsupported';
          return;
        }
        throw fromErrno(ret, 'iterate', this.name);
      }
      const n = count[0] ?? 0;
      const batch: [K, V][] = new Array(n);
      for (let i = 0; i < n; i++) batch[i] = [this.keyCodec.decode(keys.view, i * ks), this.valueCodec.decode(values.view, i * vs)];
      if (n > 0) yield batch;
      if (ret === -ENOENT) return;
      tokenIn.set(tokenOut);
      started = true;
    }
  }

  *#walk(): IterableIterator<[K, V]> {
    const fd = this.fd;
    const size = this.keyCodec.size;
    let current: Uint8Array | null = null;
    const next = new Uint8Array(size);
    const nextView = new DataView(next.buffer);
    const value = new Uint8Array(this.valueCodec.size);
    const valueView = new DataView(value.buffer);
    const seen = new Set<string>();
    const limit = this.raw.info.maxEntries;
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
      yield [this.keyCodec.decode(nextView, 0), this.valueCodec.decode(valueView, 0)];
    }
  }

  /** Closes the map and frees its scratch memory. */
  override close(): void {
    super.close();
    this.#key.free();
    this.#value.free();
  }

  *keys(options?: IterateOptions): IterableIterator<K> {
    for (const [key] of this.entries(options)) yield key;
  }

  *values(options?: IterateOptions): IterableIterator<V> {
    for (const [, value] of this.entries(options)) yield value;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** Number of entries, by walking the map (the kernel keeps no count). */
  count(): number {
    let n = 0;
    for (const _ of this.keys()) n++;
    return n;
  }

  /** Deletes every entry; returns how many there were. */
  clear(): number {
    return this.deleteMany([...this.keys()]);
  }

}

/** EINVAL, EOPNOTSUPP or ENOTSUPP: the kernel has no such command for this map type. */
export function isUnsupported(ret: number): boolean {
  return ret === -22 || ret === -95 || ret === -524;
}

/** A map of BPF_MAP_TYPE_HASH or LRU_HASH. */
export class HashMap<K, V> extends KeyedMap<K, V> {}

/**
 * A map of BPF_MAP_TYPE_ARRAY: every index below max entries always exists
 * (zeroed at creation), so delete is refused and clear() zeroes the values.
 */
export class ArrayMap<K, V> extends KeyedMap<K, V> {
  override delete(key: K): boolean {
    throw new BpfError({ code: 'NOT_SUPPORTED', op: 'delete', target: this.name, key, detail: 'array map elements always exist; set a zero value instead' });
  }

  override clear(): number {
    const zero = new Uint8Array(this.valueCodec.size);
    const view = new DataView(zero.buffer);
    const value = this.valueCodec.decode(view, 0);
    const keys = [...this.keys()];
    this.setMany(keys.map((k) => [k, value] as const));
    return keys.length;
  }
}

/**
 * A map of BPF_MAP_TYPE_LPM_TRIE. Keys are { prefixlen, data }: `set` and
 * `delete` act on that exact prefix; `get` is the kernel's longest-prefix
 * match (pass an address with the full prefix length, 32 for IPv4). The
 * kernel has no batch ops for tries, so entries() walks with next-key.
 */
export class LpmTrieMap<K, V> extends KeyedMap<K, V> {}
