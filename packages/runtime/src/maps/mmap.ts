import type { Codec } from '../codec.js';
import { BpfError, closedError, errnoError } from '../errors.js';
import { addressOf, lastErrno, native, viewOf, type Pointer } from '../ffi/libbpf.js';
import { outOfRange } from './index-range.js';
import type { RawMap } from './raw-map.js';

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const BPF_F_MMAPABLE = 1 << 10;

/**
 * The values of an array map created with BPF_F_MMAPABLE, mapped into this
 * process: get and set read and write the kernel's memory directly, with no
 * syscall. Kernel programs see writes at once; neither side is atomic beyond
 * what the CPU gives a single aligned load or store.
 */
export class MmapArray<V> implements Disposable {
  readonly length: number;
  readonly #codec: Codec<V>;
  readonly #stride: number;
  readonly #size: number;
  #ptr: Pointer | null;
  #view: DataView | null;

  readonly #name: string;

  constructor(map: RawMap, codec: Codec<V>) {
    const { info } = map;
    this.#name = map.name;
    if ((info.flags & BPF_F_MMAPABLE) === 0) {
      throw new BpfError({
        code: 'NOT_SUPPORTED',
        op: 'mmap',
        target: map.name,
        detail: 'the array was not created with BPF_F_MMAPABLE (flags: mapFlags.mmapable)',
      });
    }
    if (map.readOnly) {
      // mmap(2) drops VM_SHARED for a file opened read-only, and the kernel maps BPF arrays only shared.
      throw new BpfError({
        code: 'PERMISSION',
        op: 'mmap',
        target: map.name,
        detail:
          'the map was opened read-only ({ readOnly: true }), and the kernel maps a map only through an fd that may write it; read it with get(), or open the pin without readOnly',
      });
    }
    this.length = info.maxEntries;
    this.#codec = codec;
    this.#stride = Math.ceil(info.valueSize / 8) * 8;
    const lib = native();
    const page = lib.sysconf(30); // _SC_PAGESIZE
    this.#size = Math.ceil((this.#stride * this.length) / page) * page;
    const ptr = lib.mmap(0, this.#size, PROT_READ | PROT_WRITE, MAP_SHARED, map.fd('mmap'), 0);
    if (addressOf(ptr) === 0xffffffffffffffffn)
      throw errnoError(lastErrno(), 'element', 'mmap', map.name);
    this.#ptr = ptr;
    this.#view = new DataView(viewOf(ptr, this.#size));
  }

  #at(index: number): DataView {
    const view = this.#view;
    if (view !== null && index >>> 0 === index && index < this.length) return view;
    if (view === null) throw closedError('mmap', `map ${this.#name}`);
    throw outOfRange('mmap', this.#name, index, this.length);
  }

  get(index: number): V {
    const view = this.#view;
    // The common case inline (this is the no-syscall fast path); #at throws for the rest.
    if (view !== null && index >>> 0 === index && index < this.length)
      return this.#codec.decode(view, index * this.#stride);
    return this.#codec.decode(this.#at(index), index * this.#stride);
  }

  /** Writes the whole value in place (checked first; nothing is written when invalid). */
  set(index: number, value: V): void {
    const view = this.#at(index);
    const scratch = new DataView(new ArrayBuffer(this.#stride));
    this.#codec.encode(scratch, 0, value);
    new Uint8Array(view.buffer, index * this.#stride, this.#stride).set(
      new Uint8Array(scratch.buffer),
    );
  }

  *values(): IterableIterator<V> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  close(): void {
    if (!this.#ptr) return;
    this.#view = null;
    native().munmap(this.#ptr, this.#size);
    this.#ptr = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
