/**
 * Program arrays (BPF_MAP_TYPE_PROG_ARRAY): index -> program, for tail calls.
 * User space stores a program by its fd; a lookup reads back the program's
 * id. The kernel empties the array when the last user-space reference to it
 * goes away (every fd closed, no pin), so keep this handle open, or pin the
 * map, for as long as the tail calls must work.
 */
import type { Program } from '../program.js';
import { closedError, errnoError } from '../errors.js';
import { native } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';
import { indexCodec } from './array.js';
import { deleteMany, entries, type IterateOptions } from './batch.js';
import { MapHandle } from './handle.js';
import type { RawMap } from './raw-map.js';

const ENOENT = 2;
const u32Codec = {
  size: 4,
  encode: (v: DataView, o: number, x: number) => v.setUint32(o, x, true),
  decode: (v: DataView, o: number) => v.getUint32(o, true),
};

export class ProgramArrayMap extends MapHandle {
  readonly keyCodec = indexCodec;
  readonly valueCodec = u32Codec;
  readonly errnoClass = 'index' as const;
  readonly #memory = new NativeBuffer(8);
  readonly #lib = native();

  constructor(map: RawMap) {
    super(map);
  }

  #at(op: string, index: number): number {
    if (this.raw.closed) throw closedError(op, `map ${this.name}`);
    indexCodec.encode(this.#memory.view, 0, index);
    return this.raw.fd(op);
  }

  /** Puts `program` in slot `index`: a tail call to `index` now jumps to it. */
  set(index: number, program: Program): void {
    const fd = this.#at('set', index);
    this.#memory.view.setUint32(4, program.fd, true);
    const ret = this.#lib.update(fd, this.#memory.address, this.#memory.address + 4, 0);
    if (ret < 0)
      throw errnoError(ret, 'index', 'set', this.name, {
        key: index,
        detail: `program ${program.name}`,
      });
  }

  /** The id of the program in slot `index`, or undefined when it is empty. */
  get(index: number): number | undefined {
    const fd = this.#at('get', index);
    const ret = this.#lib.lookup(fd, this.#memory.address, this.#memory.address + 4);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) throw errnoError(ret, 'index', 'get', this.name, { key: index });
    return this.#memory.view.getUint32(4, true);
  }

  /** Empties slot `index`: a tail call to it falls through. True if it held a program. */
  delete(index: number): boolean {
    const fd = this.#at('delete', index);
    const ret = this.#lib.delete(fd, this.#memory.address);
    if (ret === -ENOENT) return false;
    if (ret < 0) throw errnoError(ret, 'index', 'delete', this.name, { key: index });
    return true;
  }

  /** Empties every slot; returns how many held a program. */
  clear(): number {
    return deleteMany(this, [...this.keys()]);
  }

  /** The occupied slots and the ids of their programs. */
  entries(options: IterateOptions = {}): IterableIterator<[number, number]> {
    return entries(this, { ...options, mode: 'next-key' });
  }

  *keys(): IterableIterator<number> {
    for (const [index] of this.entries()) yield index;
  }

  override close(): void {
    if (this.raw.closed) return;
    super.close();
    this.#memory.free();
  }
}
