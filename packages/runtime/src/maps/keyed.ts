/**
 * KeyedMap: the single-element operations every map with keys and values
 * shares (hash, LRU, array, per-CPU, LPM trie). Bulk operations live in
 * batch.ts; what only some kinds have (delete, zeroing, mmap, per-CPU
 * reducers) lives in the accessor classes that have it.
 */
import type { Codec } from '../codec.js';
import { BpfError, closedError, errnoError, type ErrnoClass } from '../errors.js';
import { native } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';
import { deleteMany, entries, setMany, type IterateOptions, type KeyCheck } from './batch.js';
import { MapHandle } from './handle.js';
import { BPF_F_LOCK, checkLock, setFlags, type SetMode } from './modes.js';
import type { RawMap } from './raw-map.js';

const ENOENT = 2;

export interface UpdateOptions {
  /** Read and write under the value's bpf_spin_lock (BPF_F_LOCK): the value must hold one. */
  lock?: boolean;
}

/**
 * The typed view shared by every map with keys and values. Keys and values
 * are encoded by codecs into C memory reused across calls; each operation is
 * one bpf(2) syscall. Values are checked before any syscall, so an invalid
 * one leaves the map unchanged. Not safe to share across worker threads.
 */
export abstract class KeyedMap<K, V> extends MapHandle implements Iterable<[K, V]> {
  readonly keyCodec: Codec<K>;
  readonly valueCodec: Codec<V>;
  /** How errnos of element operations read: a fixed-key map's E2BIG is OUT_OF_RANGE, a read-only handle's EPERM says so. */
  readonly errnoClass: ErrnoClass;
  readonly #key: NativeBuffer;
  readonly #value: NativeBuffer;
  readonly #lib = native();
  /** The fd, cached off the getter chain for the hot path; -1 once closed. */
  #fd: number;

  constructor(map: RawMap, key: Codec<K>, value: Codec<V>) {
    super(map);
    this.keyCodec = key;
    this.valueCodec = value;
    this.#key = new NativeBuffer(key.size);
    this.#value = new NativeBuffer(value.size);
    this.#fd = map.fd('open');
    this.errnoClass = map.errnoClass(map.kind.fixedKeys ? 'index' : 'element');
  }

  /** The fd (throws CLOSED before any memory is touched), with `key` encoded into the scratch key. */
  #withKey(key: K, op: string): number {
    const fd = this.#fd;
    if (fd < 0) throw closedError(op, `map ${this.name}`);
    this.keyCodec.encode(this.#key.view, 0, key);
    this.checkKey(this.#key.view, 0, key, op);
    return fd;
  }

  /**
   * Checks a key its codec has encoded at `offset`, for what the codec cannot
   * see and the kernel would refuse with a bare errno (an LPM trie's prefix
   * length); throws BpfError INVALID. Every operation that encodes a key
   * calls it before its first syscall. Most kinds have nothing to check.
   */
  protected checkKey(_view: DataView, _offset: number, _key: K, _op: string): void {}

  /** checkKey, for the bulk operations. */
  readonly #checkKey: KeyCheck<K> = (view, offset, key, op) => this.checkKey(view, offset, key, op);

  /** Throws the BpfError for a failed element operation. */
  protected fail(ret: number, op: string, key?: unknown, detail?: string): never {
    throw errnoError(ret, this.errnoClass, op, this.name, { key, detail });
  }

  /** The value stored under `key`, or undefined when there is none. */
  get(key: K): V | undefined {
    const fd = this.#withKey(key, 'get');
    const ret = this.#lib.lookup(fd, this.#key.address, this.#value.address);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) this.fail(ret, 'get', key);
    return this.valueCodec.decode(this.#value.view, 0);
  }

  /** True when `key` has a value (one lookup syscall). */
  has(key: K): boolean {
    const fd = this.#withKey(key, 'has');
    const ret = this.#lib.lookup(fd, this.#key.address, this.#value.address);
    if (ret === -ENOENT) return false;
    if (ret < 0) this.fail(ret, 'has', key);
    return true;
  }

  /**
   * Stores `value` under `key`, replacing the whole value: user space cannot
   * change a field in place. Key and value are checked before the syscall.
   * Throws BpfError KEY_EXISTS (mode 'noexist'), KEY_NOT_FOUND ('exist'),
   * MAP_FULL, OUT_OF_RANGE (an array index past the end), INVALID (mode
   * 'lock' on a value without a spinLock).
   */
  set(key: K, value: V, mode: SetMode = 'any'): void {
    const flags = setFlags(mode, 'set', this.name);
    if (flags === BPF_F_LOCK) checkLock(this.raw, 'set', "mode 'lock'", "use mode 'any'");
    const fd = this.#withKey(key, 'set');
    this.valueCodec.encode(this.#value.view, 0, value);
    const ret = this.#lib.update(fd, this.#key.address, this.#value.address, flags);
    if (ret < 0) this.fail(ret, 'set', key);
  }

  /** Removes `key`: true if it was there (for the kinds that can delete). */
  protected deleteKey(key: K): boolean {
    const fd = this.#withKey(key, 'delete');
    const ret = this.#lib.delete(fd, this.#key.address);
    if (ret === -ENOENT) return false;
    if (ret < 0) this.fail(ret, 'delete', key);
    return true;
  }

  /** Removes `key` and returns its value in one syscall; undefined if absent (for the kinds that have it). */
  protected takeKey(key: K): V | undefined {
    const fd = this.#withKey(key, 'getAndDelete');
    const ret = this.#lib.lookupAndDelete(fd, this.#key.address, this.#value.address);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) this.fail(ret, 'getAndDelete', key);
    return this.valueCodec.decode(this.#value.view, 0);
  }

  /**
   * Read-modify-write from user space: looks the value up, applies `fn`, writes
   * the result back. NOT atomic against the kernel: a program that increments
   * the value in place between the two syscalls loses its increment when this
   * writes the whole value back. With `lock`, both copies are taken under the
   * value's bpf_spin_lock (BPF_F_LOCK), which programs must also take. `fn`
   * returning undefined deletes the key. Throws BpfError INVALID for `lock`
   * on a value without a spinLock.
   */
  update(
    key: K,
    fn: (current: V | undefined) => V | undefined,
    options: UpdateOptions = {},
  ): V | undefined {
    if (options.lock) checkLock(this.raw, 'update', '{ lock: true }', 'update without it');
    const flags = options.lock ? BPF_F_LOCK : 0;
    const fd = this.#withKey(key, 'update');
    const ret = this.#lib.lookupFlags(fd, this.#key.address, this.#value.address, flags);
    if (ret < 0 && ret !== -ENOENT) this.fail(ret, 'update', key);
    const absent = ret === -ENOENT;
    const next = fn(absent ? undefined : this.valueCodec.decode(this.#value.view, 0));
    if (next === undefined && this.kind.fixedKeys) {
      throw new BpfError({
        code: 'INVALID',
        op: 'update',
        target: this.name,
        key,
        detail: `the function returned undefined, which deletes, and ${this.kind.name} elements always exist: return a value (the zero value clears it)`,
      });
    }
    if (next === undefined) {
      if (!absent) this.deleteKey(key);
      return undefined;
    }
    this.#withKey(key, 'update');
    this.valueCodec.encode(this.#value.view, 0, next);
    const mode = options.lock ? BPF_F_LOCK : absent ? 1 : 2; // BPF_NOEXIST / BPF_EXIST: fail rather than race
    const written = this.#lib.update(fd, this.#key.address, this.#value.address, mode);
    if (written < 0) this.fail(written, 'update', key);
    return next;
  }

  /** Looks up many keys; the result has one entry per key (undefined where absent). One syscall per key. */
  getMany(keys: Iterable<K>): (V | undefined)[] {
    const list = Array.isArray(keys) ? (keys as readonly K[]) : Array.from(keys);
    const out = new Array<V | undefined>(list.length);
    for (let i = 0; i < list.length; i++) out[i] = this.get(list[i]!);
    return out;
  }

  /**
   * Writes many entries: every key and value is encoded and checked before
   * the first syscall, so a bad one throws and nothing is written. Uses
   * BPF_MAP_UPDATE_BATCH where the kind has it (modes 'any' and 'lock'; the
   * kernel's batch takes no other), else one update per entry. A kernel error
   * mid-way (map full) leaves the entries before it written, and says how many.
   */
  setMany(entries: Iterable<readonly [K, V]>, mode: SetMode = 'any'): void {
    setMany(this, entries, mode, this.#checkKey);
  }

  /** Deletes many keys; returns how many were there (for the kinds that can delete). */
  protected deleteKeys(keys: Iterable<K>): number {
    return deleteMany(this, keys, this.#checkKey);
  }

  /**
   * Iterates every entry. Where the kind has BPF_MAP_LOOKUP_BATCH (default
   * mode 'batch'): each batch is a consistent read of the buckets it covers,
   * memory stays bounded by one batch, and an entry added or deleted during
   * the walk may or may not be seen. Otherwise (LPM tries, or mode
   * 'next-key') it walks with BPF_MAP_GET_NEXT_KEY: the kernel restarts from
   * the first key when the current one is deleted, so yielded keys are
   * remembered (never yielded twice) and the walk stops after max_entries keys.
   */
  entries(options: IterateOptions = {}): IterableIterator<[K, V]> {
    return entries(this, options);
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

  /** Closes the map and frees its scratch memory. */
  override close(): void {
    if (this.#fd < 0) return;
    this.#fd = -1;
    super.close();
    this.#key.free();
    this.#value.free();
  }
}

export type { SetMode, IterateOptions };
