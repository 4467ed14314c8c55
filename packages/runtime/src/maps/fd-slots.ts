/**
 * Maps whose values are other kernel objects (program arrays, maps of
 * maps): user space stores an object by its fd and reads back its id. The
 * operations on the slots are the same whatever the objects are.
 */
import type { Codec } from '../codec.js';
import { closedError, errnoError, type ErrnoClass } from '../errors.js';
import { native } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';
import { deleteMany, entries, type IterateOptions } from './batch.js';
import { MapHandle } from './handle.js';

const ENOENT = 2;
const EINVAL = 22;

/** The u32 id a lookup gives back. */
const idCodec: Codec<number> = {
  size: 4,
  encode: (v, o, x) => v.setUint32(o, x, true),
  decode: (v, o) => v.getUint32(o, true),
};

export abstract class FdSlotMap<K> extends MapHandle {
  readonly valueCodec = idCodec;
  abstract readonly keyCodec: Codec<K>;
  /** How errnos of slot operations read: a fixed-key map's E2BIG is OUT_OF_RANGE, a read-only handle's EPERM says so. */
  readonly errnoClass: ErrnoClass = this.raw.errnoClass(
    this.raw.kind.fixedKeys ? 'index' : 'element',
  );
  readonly #lib = native();
  #memory: NativeBuffer | undefined;

  /** Scratch memory for one key and one u32, with `key` encoded, and the fd for `op`. */
  #at(op: string, key: K): { fd: number; memory: NativeBuffer; value: number } {
    if (this.raw.closed) throw closedError(op, `map ${this.name}`);
    this.#memory ??= new NativeBuffer(this.keyCodec.size + 4);
    this.keyCodec.encode(this.#memory.view, 0, key);
    this.checkKey(key, op);
    return { fd: this.raw.fd(op), memory: this.#memory, value: this.keyCodec.size };
  }

  /** Checks a key its codec has encoded, before any syscall (an array's index range). */
  protected checkKey(_key: K, _op: string): void {}

  /**
   * Stores the object behind `objectFd` under `key`. EINVAL here means the
   * kernel refused the object itself: `refused` says why, in its terms.
   */
  protected store(op: string, key: K, objectFd: number, flags: number, refused: string): void {
    const { fd, memory, value } = this.#at(op, key);
    memory.view.setUint32(value, objectFd, true);
    const ret = this.#lib.update(fd, memory.address, memory.address + value, flags);
    if (ret < 0) {
      const detail = ret === -EINVAL ? refused : undefined;
      throw errnoError(ret, this.errnoClass, op, this.name, { key, detail });
    }
  }

  /** The kernel id of the object under `key`, or undefined when the slot is empty. */
  protected lookupId(op: string, key: K): number | undefined {
    const { fd, memory, value } = this.#at(op, key);
    const ret = this.#lib.lookup(fd, memory.address, memory.address + value);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) throw errnoError(ret, this.errnoClass, op, this.name, { key });
    return memory.view.getUint32(value, true);
  }

  /** Empties the slot under `key` (the object lives on while anything else holds it); true if it held one. */
  delete(key: K): boolean {
    const { fd, memory } = this.#at('delete', key);
    const ret = this.#lib.delete(fd, memory.address);
    if (ret === -ENOENT) return false;
    if (ret < 0) throw errnoError(ret, this.errnoClass, 'delete', this.name, { key });
    return true;
  }

  /** Empties every slot; returns how many held an object. */
  clear(): number {
    return deleteMany(this, [...this.keys()]);
  }

  /** The occupied slots, with the id of the object in each. */
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
