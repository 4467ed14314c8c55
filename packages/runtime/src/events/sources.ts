/**
 * Where samples come from. Each source hands samples, in order, to a
 * callback that decodes them at once (the memory is reused after).
 *
 * - MappedRing reads a BPF ring buffer through its mmap, as libbpf does,
 *   with no call into C per sample: the fast path, on x86-64, whose loads
 *   and stores are ordered as the ring's protocol needs.
 * - LibbpfRing hands the ring to libbpf's ring_buffer: one callback per
 *   sample, correct on every architecture.
 * - PerfRings hands a perf event array to libbpf's perf_buffer.
 */
import { arch } from 'node:os';
import { BpfError, errnoError } from '../errors.js';
import {
  addressOf,
  callback,
  lastErrno,
  native,
  releaseCallback,
  viewOf,
  type Pointer,
} from '../ffi/libbpf.js';

/** Takes one sample: its bytes are `size` bytes of `view` at `offset`, valid only during the call. */
export type OnSample = (view: DataView, offset: number, size: number) => void;

export interface SampleSource {
  /** The fds to wait on (ring buffers), or libbpf's epoll fd (perf buffers). */
  readonly watch: readonly number[];
  /** Hands at most `limit` waiting samples to `onSample` (perf buffers: all of them); returns how many. */
  consume(limit: number, onSample: OnSample): number;
  /** Whether samples are waiting, where that is cheap to tell (false when it is not). */
  pending(): boolean;
  close(): void;
}

const BUSY = 0x80000000;
const DISCARD = 0x40000000;
const LENGTH = ~(BUSY | DISCARD);
const HEADER = 8;
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_FAILED = 0xffffffffffffffffn;

/** The mmap reader, where the CPU orders memory as the ring needs (x86-64). */
export function mappedRingSupported(): boolean {
  return arch() === 'x64';
}

/**
 * A ring buffer read in place: the consumer page (read-write), then the
 * producer page and the data, mapped twice in a row so that a record that
 * wraps reads as one (include/uapi/linux/bpf.h, kernel/bpf/ringbuf.c).
 */
export class MappedRing implements SampleSource {
  readonly watch: readonly number[];
  readonly #size: number;
  readonly #page: number;
  #consumerPtr: Pointer;
  #producerPtr: Pointer;
  readonly #consumer: DataView;
  readonly #producer: DataView;
  readonly #data: DataView;

  constructor(fd: number, size: number, name: string) {
    const lib = native();
    this.watch = [fd];
    this.#size = size;
    this.#page = lib.sysconf(30); // _SC_PAGESIZE
    this.#consumerPtr = lib.mmap(0, this.#page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (addressOf(this.#consumerPtr) === MAP_FAILED)
      throw errnoError(lastErrno(), 'element', 'map the ring of', name);
    this.#producerPtr = lib.mmap(0, this.#page + 2 * size, PROT_READ, MAP_SHARED, fd, this.#page);
    if (addressOf(this.#producerPtr) === MAP_FAILED) {
      const errno = lastErrno();
      lib.munmap(this.#consumerPtr, this.#page);
      throw errnoError(errno, 'element', 'map the ring of', name);
    }
    this.#consumer = new DataView(viewOf(this.#consumerPtr, this.#page));
    const producer = viewOf(this.#producerPtr, this.#page + 2 * size);
    this.#producer = new DataView(producer, 0, this.#page);
    this.#data = new DataView(producer, this.#page);
  }

  /** A 64-bit position read as two halves; read again when the high half moved meanwhile. */
  #position(view: DataView): number {
    for (;;) {
      const high = view.getUint32(4, true);
      const low = view.getUint32(0, true);
      if (view.getUint32(4, true) === high) return high * 2 ** 32 + low;
    }
  }

  consume(limit: number, onSample: OnSample): number {
    const data = this.#data;
    const size = this.#size;
    const start = this.#position(this.#consumer);
    const producer = this.#position(this.#producer);
    let consumer = start;
    let at = start % size;
    let unpublished = 0;
    let n = 0;
    try {
      while (consumer < producer && n < limit) {
        const header = data.getUint32(at, true);
        if (header & BUSY) break; // reserved, not yet submitted: samples stay in order
        const length = header & LENGTH;
        if (!(header & DISCARD)) {
          onSample(data, at + HEADER, length);
          n++;
        }
        const step = (length + HEADER + 7) & ~7;
        consumer += step;
        at += step;
        if (at >= size) at -= size;
        // Give space back every quarter ring, not every sample: a full ring still frees early.
        unpublished += step;
        if (unpublished >= size / 4) {
          this.#publish(consumer);
          unpublished = 0;
        }
      }
    } finally {
      if (unpublished > 0) this.#publish(consumer);
    }
    return n;
  }

  pending(): boolean {
    return this.#position(this.#producer) > this.#position(this.#consumer);
  }

  /**
   * Writes the consumer position, low half first: between the two stores
   * the kernel can only see it behind (a ring that looks fuller), never
   * ahead (which would let it overwrite unread samples).
   */
  #publish(consumer: number): void {
    this.#consumer.setUint32(0, consumer % 2 ** 32, true);
    this.#consumer.setUint32(4, Math.floor(consumer / 2 ** 32), true);
  }

  close(): void {
    const lib = native();
    if (this.#producerPtr) lib.munmap(this.#producerPtr, this.#page + 2 * this.#size);
    if (this.#consumerPtr) lib.munmap(this.#consumerPtr, this.#page);
    this.#producerPtr = null;
    this.#consumerPtr = null;
  }
}

/** A ring buffer read through libbpf's ring_buffer: one callback per sample. */
export class LibbpfRing implements SampleSource {
  readonly watch: readonly number[];
  #ring: Pointer | null;
  readonly #callback: Pointer;
  #deliver: OnSample | undefined;
  #left = 0;
  #taken = 0;

  constructor(fd: number, name: string) {
    this.watch = [fd];
    this.#callback = callback(
      ((_ctx: unknown, data: Pointer, size: number) => {
        const length = Number(size);
        this.#deliver!(new DataView(viewOf(data, Math.max(length, 1))), 0, length);
        this.#taken++;
        // A negative return stops libbpf after this sample (which it counts as read).
        return --this.#left > 0 ? 0 : -1;
      }) as never,
      'bpfmaps_ring_sample_fn',
    );
    this.#ring = native().ringBufferNew(fd, this.#callback, 0, 0);
    if (!this.#ring) {
      const errno = lastErrno();
      releaseCallback(this.#callback);
      throw errnoError(errno, 'element', 'read the ring of', name);
    }
  }

  consume(limit: number, onSample: OnSample): number {
    if (!this.#ring || limit <= 0) return 0;
    this.#deliver = onSample;
    this.#left = limit;
    this.#taken = 0;
    native().ringBufferConsume(this.#ring);
    this.#deliver = undefined;
    return this.#taken;
  }

  /** libbpf cannot tell without consuming: say no, and the reader waits on the fd. */
  pending(): boolean {
    return false;
  }

  close(): void {
    if (!this.#ring) return;
    native().ringBufferFree(this.#ring);
    this.#ring = null;
    releaseCallback(this.#callback);
  }
}

/** A perf event array read through libbpf's perf_buffer: a ring per CPU, samples in order per CPU. */
export class PerfRings implements SampleSource {
  readonly watch: readonly number[];
  #buffer: Pointer | null;
  readonly #sample: Pointer;
  readonly #lost: Pointer;
  #deliver: OnSample | undefined;
  #taken = 0;
  /** Samples the kernel could not write because a CPU's ring was full. */
  lost = 0n;

  constructor(fd: number, pages: number, name: string) {
    const lib = native();
    this.#sample = callback(
      ((_ctx: unknown, _cpu: number, data: Pointer, size: number) => {
        this.#deliver?.(new DataView(viewOf(data, Math.max(size, 1))), 0, size);
        this.#taken++;
      }) as never,
      'bpfmaps_perf_sample_fn',
    );
    this.#lost = callback(
      ((_ctx: unknown, _cpu: number, count: bigint) => {
        this.lost += BigInt(count);
      }) as never,
      'bpfmaps_perf_lost_fn',
    );
    this.#buffer = lib.perfBufferNew(fd, pages, this.#sample, this.#lost, 0, 0);
    if (!this.#buffer) {
      const errno = lastErrno();
      releaseCallback(this.#sample);
      releaseCallback(this.#lost);
      throw errnoError(errno, 'element', 'read the perf rings of', name, {
        detail:
          'perf_buffer__new opens a perf event per CPU: it needs CAP_PERFMON (or CAP_SYS_ADMIN)',
      });
    }
    this.watch = [lib.perfBufferEpollFd(this.#buffer)];
  }

  consume(_limit: number, onSample: OnSample): number {
    if (!this.#buffer) return 0;
    this.#deliver = onSample;
    this.#taken = 0;
    const ret = native().perfBufferConsume(this.#buffer);
    this.#deliver = undefined;
    if (ret < 0)
      throw new BpfError({ code: 'SYSTEM', op: 'read', target: 'perf rings', errno: -ret });
    return this.#taken;
  }

  /** libbpf cannot tell without consuming: say no, and the reader waits on the fd. */
  pending(): boolean {
    return false;
  }

  close(): void {
    if (!this.#buffer) return;
    native().perfBufferFree(this.#buffer);
    this.#buffer = null;
    releaseCallback(this.#sample);
    releaseCallback(this.#lost);
  }
}
