/**
 * The bulk operations of keyed maps: writes and deletes of many entries, and
 * iteration, by batch syscalls where the map's kind has them and element by
 * element where it does not.
 */
import type { Codec } from '../codec.js';
import { BpfError, errnoError, formatReceived, encodingIn, type ErrnoClass } from '../errors.js';
import { native } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';
import { BPF_F_LOCK, checkLock, setFlags, type SetMode } from './modes.js';
import type { RawMap } from './raw-map.js';

const ENOENT = 2;
const ENOSPC = 28;
const BPF_ANY = 0;
const BPF_NOEXIST = 1;

/** How entries() walks the map. */
export type IterationMode = 'batch' | 'next-key';

export interface IterateOptions {
  /** 'batch' (default, where the kind has batch lookup) or 'next-key'. */
  mode?: IterationMode;
  /** Entries per batch syscall (default 256). Memory stays bounded by one batch. */
  batchSize?: number;
}

/** What the bulk operations need of a keyed map. */
export interface BulkTarget<K, V> {
  readonly name: string;
  readonly raw: RawMap;
  readonly keyCodec: Codec<K>;
  readonly valueCodec: Codec<V>;
  readonly errnoClass: ErrnoClass;
}

/** Checks a key encoded at `offset` for `op` (see KeyedMap.checkKey); throws BpfError INVALID. */
export type KeyCheck<K> = (view: DataView, offset: number, key: K, op: string) => void;

/** sizeof(struct bpf_map_batch_opts): sz, elem_flags, flags. */
const BATCH_OPTS_SIZE = 24;

function list<T>(items: Iterable<T>, op: string, target: string, what: string): readonly T[] {
  if (Array.isArray(items)) return items;
  if (
    items === null ||
    typeof items !== 'object' ||
    typeof (items as Partial<Iterable<T>>)[Symbol.iterator] !== 'function'
  ) {
    throw new BpfError({
      code: 'INVALID',
      op,
      target,
      detail: `expected an iterable of ${what}, received ${items === null ? 'null' : typeof items}`,
    });
  }
  return Array.from(items);
}

/** setMany: everything encoded and checked first, then one batch syscall, or one update per entry. */
export function setMany<K, V>(
  map: BulkTarget<K, V>,
  entries: Iterable<readonly [K, V]>,
  mode: SetMode,
  checkKey?: KeyCheck<K>,
): void {
  const flags = setFlags(mode, 'setMany', map.name);
  if (flags === BPF_F_LOCK) checkLock(map.raw, 'setMany', "mode 'lock'", "use mode 'any'");
  const items = list(entries, 'setMany', map.name, '[key, value] pairs');
  const fd = map.raw.fd('setMany');
  if (items.length === 0) return;
  const ks = map.keyCodec.size;
  const vs = map.valueCodec.size;
  const keys = new NativeBuffer(items.length * ks);
  const values = new NativeBuffer(items.length * vs);
  const meta = new NativeBuffer(4 + BATCH_OPTS_SIZE); // the count, then struct bpf_map_batch_opts
  try {
    for (let i = 0; i < items.length; i++) {
      const entry = items[i];
      if (!Array.isArray(entry) || entry.length !== 2) {
        throw new BpfError({
          code: 'INVALID',
          op: 'setMany',
          target: map.name,
          detail: `entry ${i} is not a [key, value] pair`,
        });
      }
      try {
        map.keyCodec.encode(keys.view, i * ks, entry[0] as K);
        checkKey?.(keys.view, i * ks, entry[0] as K, 'setMany');
        map.valueCodec.encode(values.view, i * vs, entry[1] as V);
      } catch (error) {
        throw encodingIn(error, `setMany ${map.name} entry ${i}`);
      }
    }
    const lib = native();
    // The kernel's batch update takes BPF_F_LOCK as its only element flag.
    if (map.raw.kind.batch.update && (flags === BPF_ANY || flags === BPF_F_LOCK)) {
      meta.view.setUint32(0, items.length, true);
      meta.view.setBigUint64(4, BigInt(BATCH_OPTS_SIZE), true);
      meta.view.setBigUint64(12, BigInt(flags), true);
      const ret = lib.updateBatch(fd, keys.address, values.address, meta.address, meta.address + 4);
      if (ret === 0) return;
      // On an early refusal the kernel leaves the count as it was: nothing was written.
      const count = meta.view.getUint32(0, true);
      const written = count === items.length ? 0 : count;
      throw errnoError(ret, map.errnoClass, 'setMany', map.name, {
        key: items[written]?.[0],
        detail: `${written} of ${items.length} entries were written`,
      });
    }
    for (let i = 0; i < items.length; i++) {
      const ret = lib.update(fd, keys.address + i * ks, values.address + i * vs, flags);
      if (ret < 0)
        throw errnoError(ret, map.errnoClass, 'setMany', map.name, {
          key: items[i]![0],
          detail: `${i} of ${items.length} entries were written`,
        });
    }
  } finally {
    keys.free();
    values.free();
    meta.free();
  }
}

/** deleteMany: keys encoded first; BPF_MAP_DELETE_BATCH where the kind has it. Returns how many were there. */
export function deleteMany<K, V>(
  map: BulkTarget<K, V>,
  keys: Iterable<K>,
  checkKey?: KeyCheck<K>,
): number {
  const items = list(keys, 'deleteMany', map.name, 'keys');
  const fd = map.raw.fd('deleteMany');
  const ks = map.keyCodec.size;
  const memory = new NativeBuffer(items.length * ks + 4);
  const count = items.length * ks;
  const lib = native();
  try {
    items.forEach((k, i) => {
      try {
        map.keyCodec.encode(memory.view, i * ks, k);
        checkKey?.(memory.view, i * ks, k, 'deleteMany');
      } catch (error) {
        throw encodingIn(error, `deleteMany ${map.name} key ${i}`);
      }
    });
    let deleted = 0;
    let i = 0;
    while (i < items.length && map.raw.kind.batch.delete) {
      const asked = items.length - i;
      memory.view.setUint32(count, asked, true);
      const ret = lib.deleteBatch(fd, memory.address + i * ks, memory.address + count, 0);
      // On an early refusal the kernel leaves the count as it was: nothing was deleted.
      const reported = memory.view.getUint32(count, true);
      const done = ret !== 0 && reported === asked ? 0 : reported;
      if (ret === 0) return deleted + done;
      // The batch stops at a missing key: count what went before it, skip it, go on.
      if (ret !== -ENOENT)
        throw errnoError(ret, map.errnoClass, 'deleteMany', map.name, {
          key: items[i + done],
          detail: `${deleted + done} keys were deleted before it`,
        });
      deleted += done;
      i += done + 1;
    }
    for (; i < items.length; i++) {
      const ret = lib.delete(fd, memory.address + i * ks);
      if (ret === 0) deleted++;
      else if (ret !== -ENOENT)
        throw errnoError(ret, map.errnoClass, 'deleteMany', map.name, {
          key: items[i],
          detail: `${deleted} keys were deleted before it`,
        });
    }
    return deleted;
  } finally {
    memory.free();
  }
}

/** Entries per batch at most: beyond this, memory grows and syscalls do not get fewer worth having. */
const MAX_BATCH_SIZE = 1 << 16;

function checkBatchSize(map: BulkTarget<unknown, unknown>, op: string, size = 256): number {
  if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH_SIZE) {
    throw new BpfError({
      code: 'INVALID',
      op,
      target: map.name,
      detail: `batchSize must be a whole number from 1 to ${MAX_BATCH_SIZE}, received ${formatReceived(size)}`,
    });
  }
  return size;
}

/** entries(): batch lookups where the kind has them, else a next-key walk. */
export function entries<K, V>(
  map: BulkTarget<K, V>,
  options: IterateOptions,
): IterableIterator<[K, V]> {
  const batchSize = checkBatchSize(map, 'iterate', options.batchSize);
  if (options.mode !== 'next-key' && map.raw.kind.batch.lookup)
    return new BatchIterator(map, batchSize, 'iterate');
  return walk(map);
}

/**
 * drain(): BPF_MAP_LOOKUP_AND_DELETE_BATCH, which takes each batch out of
 * the map in one step: an entry is yielded once and removed, and an update
 * between the read and the delete cannot be lost. Throws BpfError
 * NOT_SUPPORTED for a kind without that command.
 */
export function drain<K, V>(
  map: BulkTarget<K, V>,
  options: { batchSize?: number },
): IterableIterator<[K, V]> {
  const batchSize = checkBatchSize(map, 'drain', options.batchSize);
  if (!map.raw.kind.batch.lookupAndDelete)
    throw new BpfError({
      code: 'NOT_SUPPORTED',
      op: 'drain',
      target: map.name,
      detail: `the kernel has no lookup-and-delete batch for ${map.raw.kind.name} maps; iterate with entries() and delete`,
    });
  return new BatchIterator(map, batchSize, 'drain');
}

/** BPF_MAP_GET_NEXT_KEY then a lookup per key, never yielding a key twice. */
function* walk<K, V>(map: BulkTarget<K, V>): IterableIterator<[K, V]> {
  map.raw.fd('iterate');
  const ks = map.keyCodec.size;
  // Current key, next key, value.
  const memory = new NativeBuffer(2 * ks + map.valueCodec.size);
  const lib = native();
  const seen = new Set<string>();
  const limit = map.raw.info.maxEntries;
  let current = 0;
  try {
    while (seen.size < limit) {
      const fd = map.raw.fd('iterate');
      const ret = lib.nextKey(fd, current, memory.address + ks);
      if (ret === -ENOENT) return;
      if (ret < 0) throw errnoError(ret, map.errnoClass, 'iterate', map.name);
      memory.bytes.copyWithin(0, ks, 2 * ks);
      current = memory.address;
      const id = Buffer.from(memory.bytes.buffer, memory.bytes.byteOffset, ks).toString('latin1');
      if (seen.has(id)) continue;
      seen.add(id);
      const found = lib.lookup(fd, memory.address, memory.address + 2 * ks);
      if (found === -ENOENT) continue; // deleted between next-key and lookup
      if (found < 0) throw errnoError(found, map.errnoClass, 'iterate', map.name);
      yield [map.keyCodec.decode(memory.view, 0), map.valueCodec.decode(memory.view, 2 * ks)];
    }
  } finally {
    memory.free();
  }
}

/**
 * Iterates with BPF_MAP_LOOKUP_BATCH, one batch in C memory at a time,
 * decoding an entry only when it is asked for. A plain iterator object
 * rather than a generator: it is on the per-entry path.
 */
class BatchIterator<K, V> implements IterableIterator<[K, V]> {
  readonly #map: BulkTarget<K, V>;
  readonly #tokens: NativeBuffer;
  readonly #count = new NativeBuffer(4);
  readonly #half: number;
  #keys: NativeBuffer;
  #values: NativeBuffer;
  #size: number;
  #n = 0;
  #i = 0;
  #started = false;
  #last = false;
  #done = false;

  /** 'drain' takes each batch out of the map as it reads it. */
  readonly #op: 'iterate' | 'drain';

  constructor(map: BulkTarget<K, V>, batchSize: number, op: 'iterate' | 'drain') {
    this.#map = map;
    this.#op = op;
    map.raw.fd(op); // a closed map fails here, not at the first next()
    // The cursor is a u32 bucket for hash maps and a key for arrays: room for either, in and out.
    this.#half = Math.max(map.keyCodec.size, 8);
    this.#tokens = new NativeBuffer(2 * this.#half);
    this.#size = batchSize;
    this.#keys = new NativeBuffer(batchSize * map.keyCodec.size);
    this.#values = new NativeBuffer(batchSize * map.valueCodec.size);
  }

  /** Reads the next batch into C memory. */
  #fetch(): void {
    const lib = native();
    for (;;) {
      this.#count.view.setUint32(0, this.#size, true);
      const inBatch = this.#started ? this.#tokens.address : 0;
      // Checked per batch: the map may have been closed while iterating.
      const fd = this.#map.raw.fd(this.#op);
      const ret = (this.#op === 'drain' ? lib.lookupAndDeleteBatch : lib.lookupBatch)(
        fd,
        inBatch,
        this.#tokens.address + this.#half,
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
        this.#keys = new NativeBuffer(this.#size * this.#map.keyCodec.size);
        this.#values = new NativeBuffer(this.#size * this.#map.valueCodec.size);
        continue;
      }
      if (ret < 0 && ret !== -ENOENT) {
        this.return();
        throw errnoError(ret, this.#map.errnoClass, this.#op, this.#map.name);
      }
      this.#n = n;
      this.#i = 0;
      this.#last = ret === -ENOENT;
      this.#tokens.bytes.copyWithin(0, this.#half, 2 * this.#half);
      this.#started = true;
      return;
    }
  }

  next(): IteratorResult<[K, V]> {
    while (this.#i === this.#n) {
      if (this.#done || this.#last) return this.return();
      this.#fetch();
    }
    const i = this.#i;
    const { keyCodec, valueCodec } = this.#map;
    let value: [K, V];
    try {
      value = [
        keyCodec.decode(this.#keys.view, i * keyCodec.size),
        valueCodec.decode(this.#values.view, i * valueCodec.size),
      ];
    } catch (error) {
      this.return(); // a drain puts back what it took and did not hand out, this entry included
      throw error;
    }
    this.#i++;
    return { done: false, value };
  }

  /**
   * Frees the batch memory (called at the end, or by `break` and throws in
   * the loop). A drain stopped early puts back the entries of its batch it
   * took out and did not hand out, each only where its key was not added
   * again meanwhile (BPF_NOEXIST): nothing taken is dropped unseen.
   */
  return(): IteratorResult<[K, V]> {
    if (!this.#done) {
      this.#done = true;
      try {
        if (this.#op === 'drain' && this.#i < this.#n && !this.#map.raw.closed) this.#putBack();
      } finally {
        for (const b of [this.#tokens, this.#count, this.#keys, this.#values]) b.free();
      }
    }
    return { done: true, value: undefined };
  }

  #putBack(): void {
    const lib = native();
    const fd = this.#map.raw.fd(this.#op);
    const ks = this.#map.keyCodec.size;
    const vs = this.#map.valueCodec.size;
    for (let i = this.#i; i < this.#n; i++)
      lib.update(fd, this.#keys.address + i * ks, this.#values.address + i * vs, BPF_NOEXIST);
    this.#i = this.#n;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this;
  }
}
