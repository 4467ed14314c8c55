import type { Codec } from './codec.js';
import { BpfError, fromErrno } from './errors.js';
import { bpf } from './libbpf.js';
import { MapHandle } from './handle.js';
import { NativeBuffer } from './native-buffer.js';
import { MmapArray } from './mmap-array.js';
import type { RawMap } from './map.js';

const ENOENT = 2;
const ENOSPC = 28;

/** How `set` treats an existing key (BPF_ANY, BPF_NOEXIST, BPF_EXIST; BPF_F_LOCK for spin-locked values). */
export type SetMode = 'any' | 'noexist' | 'exist' | 'lock';
export const SET_FLAGS: Record<SetMode, number> = { any: 0, noexist: 1, exist: 2, lock: 4 };

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
  /** The fd, cached off the getter chain for the hot path; -1 once closed. */
  #fd: number;
  /** Set once the kernel says it has no batch ops for this map. */
  #noBatch = false;

  constructor(map: RawMap, key: Codec<K>, value: Codec<V>) {
    super(map);
    this.keyCodec = key;
    this.valueCodec = value;
    this.#key = new NativeBuffer(key.size);
    this.#value = new NativeBuffer(value.size);
    this.#fd = map.fd;
  }

  /** The fd (throws once closed, before any scratch memory is touched), with `key` encoded. */
  #withKey(key: K): number {
    const fd = this.#fd;
    if (fd < 0) return this.fd; // throws: closed
    this.keyCodec.encode(this.#key.view, 0, key);
    return fd;
  }

  /** The value stored under `key`, or undefined when there is none. */
  get(key: K): V | undefined {
    const fd = this.#withKey(key);
    const ret = bpf.lookupAt(fd, this.#key.address, this.#value.address);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) throw fromErrno(ret, 'get', this.name, key);
    return this.valueCodec.decode(this.#value.view, 0);
  }

  /** True when `key` has a value (one lookup syscall). */
  has(key: K): boolean {
    const fd = this.#withKey(key);
    const ret = bpf.lookupAt(fd, this.#key.address, this.#value.address);
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
    const ret = bpf.updateAt(fd, this.#key.address, this.#value.address, SET_FLAGS[mode]);
    if (ret < 0) throw fromErrno(ret, 'set', this.name, key);
  }

  /** Removes `key`; true if it was there. */
  delete(key: K): boolean {
    const fd = this.#withKey(key);
    const ret = bpf.deleteAt(fd, this.#key.address);
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
    const flags = options.lock ? SET_FLAGS.lock : 0;
    const ret = bpf.lookupFlags(fd, this.#key.ptr, this.#value.ptr, flags);
    if (ret < 0 && ret !== -ENOENT) throw fromErrno(ret, 'update', this.name, key);
    const next = fn(ret === -ENOENT ? undefined : this.valueCodec.decode(this.#value.view, 0));
    if (next === undefined) {
      if (ret !== -ENOENT) this.delete(key);
      return undefined;
    }
    fd = this.#withKey(key);
    this.valueCodec.encode(this.#value.view, 0, next);
    const mode = options.lock ? SET_FLAGS.lock : ret === -ENOENT ? SET_FLAGS.noexist : SET_FLAGS.exist;
    const written = bpf.update(fd, this.#key.ptr, this.#value.ptr, mode);
    if (written < 0) throw fromErrno(written, 'update', this.name, key);
    return next;
  }

  /** Looks up many keys in one pass; the result has one entry per key (undefined where absent). */
  getMany(keys: Iterable<K>): (V | undefined)[] {
    const list = Array.isArray(keys) ? (keys as readonly K[]) : Array.from(keys);
    const out = new Array<V | undefined>(list.length);
    for (let i = 0; i < list.length; i++) out[i] = this.get(list[i]!);
    return out;
  }

  /**
   * Writes many entries with BPF_MAP_UPDATE_BATCH (one syscall per `batchSize`
   * entries). Every key and value is encoded and checked before the first
   * syscall: a bad one throws and nothing is written. A kernel error mid-way
   * (map full) leaves the entries before it written, and says how many.
   */
  setMany(entries: Iterable<readonly [K, V]>, mode: SetMode = 'any'): void {
    const fd = this.fd;
    const list = Array.isArray(entries) ? (entries as readonly (readonly [K, V])[]) : Array.from(entries);
    if (list.length === 0) return;
    const ks = this.keyCodec.size;
    const vs = this.valueCodec.size;
    const keys = new NativeBuffer(list.length * ks);
    const values = new NativeBuffer(list.length * vs);
    const meta = new NativeBuffer(4 + 24); // the count, then struct bpf_map_batch_opts
    try {
      for (let i = 0; i < list.length; i++) {
        const entry = list[i]!;
        this.keyCodec.encode(keys.view, i * ks, entry[0]);
        this.valueCodec.encode(values.view, i * vs, entry[1]);
      }
      if (!this.#noBatch) {
        meta.view.setUint32(0, list.length, true);
        meta.bytes.set(batchOpts(SET_FLAGS[mode]), 4);
        const ret = bpf.updateBatchAt(fd, keys.address, values.address, meta.address, meta.address + 4);
        const written = meta.view.getUint32(0, true);
        if (ret === 0) return;
        if (!isUnsupported(ret) || written !== 0) {
          throw fromErrno(ret, 'setMany', this.name, list[written]?.[0], `${written} of ${list.length} entries were written`);
        }
        this.#noBatch = true;
      }
      for (let i = 0; i < list.length; i++) {
        const ret = bpf.updateAt(fd, keys.address + i * ks, values.address + i * vs, SET_FLAGS[mode]);
        if (ret < 0) throw fromErrno(ret, 'setMany', this.name, list[i]![0], `${i} of ${list.length} entries were written`);
      }
    } finally {
      keys.free();
      values.free();
      meta.free();
    }
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
  entries(options: IterateOptions = {}): IterableIterator<[K, V]> {
    if (options.mode !== 'next-key' && !this.#noBatch) {
      const batches = new BatchIterator(this.fd, this.name, this.keyCodec, this.valueCodec, options.batchSize ?? 256);
      if (batches.supported) return batches;
      this.#noBatch = true;
    }
    return this.#walk();
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
    this.#fd = -1;
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

  /** Maps the values into memory (the map needs flags: mapFlags.mmapable): reads and writes without syscalls. */
  mmap(): MmapArray<V> {
    return new MmapArray(this as unknown as ArrayMap<number, V>, this.valueCodec);
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

/**
 * Iterates a map with BPF_MAP_LOOKUP_BATCH, one batch in C memory at a time,
 * decoding an entry only when it is asked for. A plain iterator object rather
 * than a generator: it is on the per-entry path.
 */
class BatchIterator<K, V> implements IterableIterator<[K, V]> {
  /** False when the kernel has no batch lookup for this map (nothing was yielded). */
  readonly supported: boolean;
  readonly #tokens: NativeBuffer;
  readonly #count = new NativeBuffer(4);
  #keys: NativeBuffer;
  #values: NativeBuffer;
  #size: number;
  #n = 0;
  #i = 0;
  #started = false;
  #last = false;
  #done = false;

  constructor(
    private readonly fd: number,
    private readonly name: string,
    private readonly key: Codec<K>,
    private readonly value: Codec<V>,
    batchSize: number,
  ) {
    // The cursor is a u32 bucket for hash maps and a key for arrays: room for either, in and out.
    this.#tokens = new NativeBuffer(2 * Math.max(key.size, 8));
    this.#size = batchSize;
    this.#keys = new NativeBuffer(batchSize * key.size);
    this.#values = new NativeBuffer(batchSize * value.size);
    this.supported = this.#fetch();
  }

  /** Reads the next batch; false when the kernel says the map type has no batch lookup. */
  #fetch(): boolean {
    const half = Math.max(this.key.size, 8);
    for (;;) {
      this.#count.view.setUint32(0, this.#size, true);
      const ret = bpf.lookupBatchAt(
        this.fd,
        this.#started ? this.#tokens.address : 0,
        this.#tokens.address + half,
        this.#keys.address,
        this.#values.address,
        this.#count.address,
        0,
      );
      const n = this.#count.view.getUint32(0, true);
      if (ret === -ENOSPC && n === 0) {
        // One hash bucket holds more entries than a batch: grow and retry from the same cursor.
        this.#size *= 2;
        this.#keys.free();
        this.#values.free();
        this.#keys = new NativeBuffer(this.#size * this.key.size);
        this.#values = new NativeBuffer(this.#size * this.value.size);
        continue;
      }
      if (ret < 0 && ret !== -ENOENT) {
        if (!this.#started && isUnsupported(ret)) {
          this.return();
          return false;
        }
        this.return();
        throw fromErrno(ret, 'iterate', this.name);
      }
      this.#n = n;
      this.#i = 0;
      this.#last = ret === -ENOENT;
      this.#tokens.bytes.copyWithin(0, half, 2 * half);
      this.#started = true;
      return true;
    }
  }

  next(): IteratorResult<[K, V]> {
    while (this.#i === this.#n) {
      if (this.#done || this.#last) return this.return();
      this.#fetch();
    }
    const i = this.#i++;
    return { done: false, value: [this.key.decode(this.#keys.view, i * this.key.size), this.value.decode(this.#values.view, i * this.value.size)] };
  }

  /** Frees the batch memory (called at the end, or by `break`). */
  return(): IteratorResult<[K, V]> {
    if (!this.#done) {
      this.#done = true;
      for (const b of [this.#tokens, this.#count, this.#keys, this.#values]) b.free();
    }
    return { done: true, value: undefined };
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this;
  }
}
