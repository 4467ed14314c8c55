/**
 * KeyedMap: the single-element operations every map with keys and values
 * shares (hash, LRU, array, per-CPU, LPM trie). Bulk operations live in
 * batch.ts; what only some kinds have (delete, zeroing, mmap, per-CPU
 * reducers) lives in the accessor classes that have it.
 */
import { ACCESS_FLAGS } from '@bpfmaps/schema';
import type { Codec } from '../codec.js';
import {
  BpfError,
  closedError,
  encodingIn,
  errnoError,
  formatReceived,
  type ErrnoClass,
} from '../errors.js';
import { native } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';
import {
  deleteMany,
  drain,
  entries,
  setMany,
  type IterateOptions,
  type KeyCheck,
} from './batch.js';
import { MapHandle } from './handle.js';
import { BPF_F_LOCK, checkLock, setFlags, type SetMode } from './modes.js';
import type { RawMap } from './raw-map.js';
import { KernelBatch, kernelOpsAvailable } from './kernel-batch.js';
import {
  addMany,
  changedField,
  compareAndSwap,
  lookupMany,
  type Delta,
  type KernelTarget,
  type SwapResult,
} from './in-kernel.js';

/** Amounts to add to a value's integer fields: `{ packets: 1, bytes: 1500n }` (negative subtracts). */
export type Adds<V> = {
  readonly [F in keyof V]?: V[F] extends number | bigint ? number | bigint : never;
};

/** How many times update() reads again when a compare-and-swap finds the field changed. */
const SWAP_ATTEMPTS = 64;

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
  /** The in-kernel batch operations' scratch and programs: made on first use; null where unavailable. */
  #kernel: KernelBatch | null | undefined;
  readonly #bulk: KernelTarget<K, V>;

  constructor(map: RawMap, key: Codec<K>, value: Codec<V>) {
    super(map);
    this.keyCodec = key;
    this.valueCodec = value;
    this.#key = new NativeBuffer(key.size);
    this.#value = new NativeBuffer(value.size);
    this.#fd = map.fd('open');
    this.errnoClass = map.errnoClass(map.kind.fixedKeys ? 'index' : 'element');
    this.#bulk = {
      name: this.name,
      raw: map,
      keyCodec: key,
      valueCodec: value,
      errnoClass: this.errnoClass,
      checkKey: (view, offset, k, op) => this.checkKey(view, offset, k, op),
      kernel: (op) => this.#kernelBatch(op),
    };
  }

  /** The in-kernel path, where the kind and the kernel allow it (see kernel-batch.ts). */
  #kernelBatch(op: string): KernelBatch | undefined {
    if (this.#fd < 0) throw closedError(op, `map ${this.name}`);
    // A map whose access flags limit user space or programs goes key by key: the programs would
    // read or write past a BPF_F_RDONLY the syscalls honour, or be refused by the verifier.
    if (this.#kernel === undefined)
      this.#kernel =
        this.kind.kernelOps &&
        !this.raw.readOnly &&
        // BPF_F_RDONLY and WRONLY limit the fd that made the map, not the map: the kernel's info drops them.
        ((this.raw.spec.flags | this.raw.info.flags) & ACCESS_FLAGS) === 0 &&
        kernelOpsAvailable()
          ? new KernelBatch(this.raw, op)
          : null;
    return this.#kernel ?? undefined;
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
   * Read-modify-write from user space: looks the value up, applies `fn`,
   * writes the result back. Where in-kernel operations are available and
   * `fn` changes one integer field of 4 or 8 bytes, the write is a
   * compare-and-swap of that field: a kernel program that changed it
   * meanwhile makes update() read again and call `fn` again (so `fn` may
   * run more than once), and no increment is lost. Otherwise the whole value
   * is written back, NOT atomically: a program that increments the value in
   * place between the lookup and the update loses its increment. With
   * `lock`, both copies are taken under the value's bpf_spin_lock
   * (BPF_F_LOCK), which programs must also take. `fn` returning undefined
   * deletes the key. Throws BpfError INVALID for `lock` on a value without a
   * spinLock, CONFLICT when the field kept changing for 64 attempts.
   */
  update(
    key: K,
    fn: (current: V | undefined) => V | undefined,
    options: UpdateOptions = {},
  ): V | undefined {
    if (typeof fn !== 'function')
      throw new BpfError({
        code: 'INVALID',
        op: 'update',
        target: this.name,
        detail: `expected a function of the current value, received ${formatReceived(fn)}`,
      });
    if (!this.kind.exactLookup)
      throw new BpfError({
        code: 'NOT_SUPPORTED',
        op: 'update',
        target: this.name,
        key,
        detail: `a lookup in an ${this.kind.name} finds the longest prefix covering the key, not the key, so update could read and change another entry's value; write exact prefixes with set() (get() too finds the longest prefix)`,
      });
    if (options.lock) checkLock(this.raw, 'update', '{ lock: true }', 'update without it');
    const flags = options.lock ? BPF_F_LOCK : 0;
    for (let attempt = 0; attempt < SWAP_ATTEMPTS; attempt++) {
      const fd = this.#withKey(key, 'update');
      const ret = this.#lib.lookupFlags(fd, this.#key.address, this.#value.address, flags);
      if (ret < 0 && ret !== -ENOENT) this.fail(ret, 'update', key);
      const absent = ret === -ENOENT;
      const before = absent ? undefined : this.#value.bytes.slice();
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
      try {
        this.valueCodec.encode(this.#value.view, 0, next);
      } catch (error) {
        throw encodingIn(
          error,
          `update ${this.name} for key ${formatReceived(key)}: what the function returned`,
        );
      }
      const after = this.#value.bytes;
      // Nothing changed: writing the same bytes back could only undo someone else's change.
      if (before && before.every((b, i) => b === after[i])) return next;
      const field =
        before && !options.lock && this.#kernelBatch('update')
          ? changedField(this.raw.spec, before, after)
          : undefined;
      if (field) {
        const read = (bytes: Uint8Array) =>
          new DataView(bytes.buffer, bytes.byteOffset + field.offset, field.size);
        const [expected, desired] = [before!, after].map((b) =>
          field.size === 8 ? read(b).getBigUint64(0, true) : BigInt(read(b).getUint32(0, true)),
        );
        if (compareAndSwap(this.#bulk, key, field.name, expected!, desired!, 'update').swapped)
          return next;
        continue; // the field changed meanwhile: read it again
      }
      const mode = options.lock ? BPF_F_LOCK : absent ? 1 : 2; // BPF_NOEXIST / BPF_EXIST: fail rather than race
      const written = this.#lib.update(fd, this.#key.address, this.#value.address, mode);
      if (written < 0) this.fail(written, 'update', key);
      return next;
    }
    throw new BpfError({
      code: 'CONFLICT',
      op: 'update',
      target: this.name,
      key,
      detail: `the field kept changing under ${SWAP_ATTEMPTS} compare-and-swaps: programs write it faster than update() can read it; use add() for counters`,
    });
  }

  /**
   * Looks up many keys; the result has one entry per key, in order
   * (undefined where absent). In the kernel, a batch of keys per bpf(2) call
   * (a syscall program: see docs/runtime.md); else one lookup per key.
   * Every key is checked before its batch runs.
   */
  getMany(keys: Iterable<K>): (V | undefined)[] {
    return lookupMany(this.#bulk, this.#list(keys, 'getMany'), true, 'getMany') as (
      | V
      | undefined
    )[];
  }

  /** Whether each key has a value, in order: getMany without copying values out. */
  hasMany(keys: Iterable<K>): boolean[] {
    return lookupMany(this.#bulk, this.#list(keys, 'hasMany'), false, 'hasMany') as boolean[];
  }

  /**
   * Adds to integer fields (4 or 8 bytes) of `key`'s value in place:
   * `add(flow, { packets: 1, bytes: 1500 })`. In the kernel the adds are
   * atomic, exact beside programs that increment the same fields; a missing
   * key is inserted as zeroes first. Without in-kernel operations it is a
   * lookup and an update, which a concurrent kernel increment can be lost
   * to. Throws BpfError INVALID for a field that is no such integer or an
   * amount that does not fit, MAP_FULL when there is no room for the key.
   */
  add(key: K, amounts: Adds<V>): void {
    addMany(this.#bulk, [[key, amounts as Delta]], 'add');
  }

  /** add() for many keys, a batch per bpf(2) call in the kernel; every key and amount is checked first. */
  addMany(entries: Iterable<readonly [K, Adds<V>]>): void {
    addMany(
      this.#bulk,
      this.#list(entries, 'addMany') as readonly (readonly [K, Delta])[],
      'addMany',
    );
  }

  /**
   * Sets integer field `field` of `key`'s value to `desired` if it holds
   * `expected`, atomically in the kernel (BPF_CMPXCHG); returns whether it
   * did and what the field held. Throws BpfError KEY_NOT_FOUND when the key
   * has no value.
   */
  compareAndSwap(
    key: K,
    field: keyof V & string,
    expected: number | bigint,
    desired: number | bigint,
  ): SwapResult {
    return compareAndSwap(this.#bulk, key, field, expected, desired);
  }

  #list<T>(items: Iterable<T>, op: string): readonly T[] {
    if (Array.isArray(items)) return items;
    if (items === null || typeof (items as Partial<Iterable<T>>)?.[Symbol.iterator] !== 'function')
      throw new BpfError({
        code: 'INVALID',
        op,
        target: this.name,
        detail: `expected an iterable, received ${items === null ? 'null' : typeof items}`,
      });
    return Array.from(items);
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

  /** Takes the entries out (for the kinds that can delete): see DeletableMap.drain. */
  protected drainEntries(options: { batchSize?: number }): IterableIterator<[K, V]> {
    return drain(this, options);
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
    this.#kernel?.close();
    this.#fd = -1;
    super.close();
    this.#key.free();
    this.#value.free();
  }
}

export type { SetMode, IterateOptions };
