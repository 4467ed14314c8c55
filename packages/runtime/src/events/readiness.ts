/**
 * Waiting for events without blocking Node's event loop and without
 * polling. Every reader in the process shares one epoll set, waited on by
 * one `epoll_wait` on a thread of libuv's pool, and only while some reader
 * waits: a thread a reader would take would starve fs, dns and crypto,
 * which share that pool of four, and a fifth reader would never run. Each
 * reader's fd is in the set one-shot, armed only while that reader waits,
 * so a reader that is not pulling (backpressure) never wakes the thread.
 * An eventfd in the set ends the wait at once when the last reader stops,
 * and when the process exits (libuv joins its threads on exit: a thread
 * left in epoll_wait would hang it).
 */
import { BpfError, errnoError } from '../errors.js';
import { lastErrno, native, offThread } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';

const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const EPOLLIN = 1;
const EPOLLONESHOT = 1 << 30;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
const EINTR = 4;
/** struct epoll_event: packed on x86-64 (12 bytes, data at 4), aligned elsewhere (16, data at 8). */
const EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const DATA_AT = process.arch === 'x64' ? 4 : 8;
/** Events taken per wait. */
const MAX_EVENTS = 64;
/** The data of the eventfd's entry; readers' ids start above it. */
const WAKE_ID = 0;

/** The one epoll set and the one wait, shared by every reader. */
class Hub {
  readonly #epoll: number;
  readonly #wake: number;
  /** Events out of epoll_wait, for the waiting thread only. */
  readonly #events = new NativeBuffer(EVENT_SIZE * MAX_EVENTS);
  /** One epoll_event and one eventfd counter, for the main thread. */
  readonly #scratch = new NativeBuffer(EVENT_SIZE + 8);
  /** Readers waiting now: id -> what ends their wait. */
  readonly #waiting = new Map<number, { resolve(): void; reject(error: unknown): void }>();
  #nextId = WAKE_ID + 1;
  /** The wait in flight, on a pool thread. */
  #pending: Promise<number> | undefined;

  constructor() {
    const lib = native();
    this.#epoll = lib.epollCreate(EPOLL_CLOEXEC);
    if (this.#epoll < 0) throw errnoError(lastErrno(), 'element', 'watch', 'events');
    this.#wake = lib.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (this.#wake < 0 || this.#ctl(EPOLL_CTL_ADD, this.#wake, EPOLLIN, WAKE_ID) < 0) {
      const errno = lastErrno();
      if (this.#wake >= 0) lib.close(this.#wake);
      lib.close(this.#epoll);
      throw errnoError(errno, 'element', 'watch', 'events');
    }
    // 'exit' runs before libuv joins its pool: end the wait so the join can.
    process.once('exit', () => this.#interrupt());
  }

  #ctl(op: number, fd: number, events: number, id: number): number {
    const v = this.#scratch.view;
    v.setUint32(0, events, true);
    v.setBigUint64(DATA_AT, BigInt(id), true);
    return native().epollCtl(this.#epoll, op, fd, this.#scratch.address);
  }

  /** Adds `fds` (disarmed) under a new id; throws naming `target`. */
  add(fds: readonly number[], target: string): number {
    const id = this.#nextId++;
    for (const [i, fd] of fds.entries()) {
      if (this.#ctl(EPOLL_CTL_ADD, fd, EPOLLONESHOT, id) < 0) {
        const errno = lastErrno();
        for (const added of fds.slice(0, i)) this.#ctl(EPOLL_CTL_DEL, added, 0, id);
        throw errnoError(errno, 'element', 'watch', target);
      }
    }
    return id;
  }

  /** Resolves when one of `fds` (added as `id`) is readable, or cancel(id) is called. */
  wait(id: number, fds: readonly number[], target: string): Promise<void> {
    for (const fd of fds) {
      if (this.#ctl(EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLONESHOT, id) < 0)
        return Promise.reject(errnoError(lastErrno(), 'element', 'watch', target));
    }
    const ended = new Promise<void>((resolve, reject) =>
      this.#waiting.set(id, { resolve, reject }),
    );
    if (!this.#pending) void this.#run();
    return ended;
  }

  /** Ends `id`'s wait now, if it waits; the shared wait ends too when no one else waits. */
  cancel(id: number): boolean {
    const waiter = this.#waiting.get(id);
    if (!waiter) return false;
    this.#waiting.delete(id);
    waiter.resolve();
    if (this.#waiting.size === 0) this.#interrupt();
    return true;
  }

  /** Takes `fds` out of the set for good. */
  remove(id: number, fds: readonly number[]): void {
    this.cancel(id);
    for (const fd of fds) this.#ctl(EPOLL_CTL_DEL, fd, 0, id);
  }

  /** Makes the wait in flight return. */
  #interrupt(): void {
    this.#scratch.view.setBigUint64(EVENT_SIZE, 1n, true);
    native().write(this.#wake, this.#scratch.address + EVENT_SIZE, 8);
  }

  /** One wait after another while anyone waits; each ready id's wait ends. */
  async #run(): Promise<void> {
    const lib = native();
    try {
      while (this.#waiting.size > 0) {
        this.#pending = offThread(lib.epollWait, this.#epoll, this.#events.address, MAX_EVENTS, -1);
        const ready = await this.#pending;
        if (ready < 0) this.#check();
        for (let i = 0; i < ready; i++) {
          const id = Number(this.#events.view.getBigUint64(i * EVENT_SIZE + DATA_AT, true));
          if (id === WAKE_ID) {
            lib.read(this.#wake, this.#scratch.address + EVENT_SIZE, 8); // readable until read
            continue;
          }
          const waiter = this.#waiting.get(id);
          this.#waiting.delete(id);
          waiter?.resolve();
        }
      }
    } catch (error) {
      for (const waiter of this.#waiting.values()) waiter.reject(error);
      this.#waiting.clear();
    } finally {
      this.#pending = undefined;
    }
  }

  /**
   * The wait failed on another thread, whose errno is out of reach: ask
   * again here without waiting. A signal (EINTR) fails only the first.
   */
  #check(): void {
    if (native().epollWait(this.#epoll, this.#events.address, MAX_EVENTS, 0) >= 0) return;
    const errno = lastErrno();
    if (errno !== EINTR)
      throw new BpfError({ code: 'SYSTEM', op: 'wait for events', target: 'events', errno });
  }
}

let hub: Hub | undefined;

/** One reader's fds in the shared set: wait() for them to be readable. */
export class Readiness {
  readonly #hub: Hub;
  readonly #id: number;
  readonly #fds: readonly number[];
  #closed = false;
  /** wake() came while no wait was in flight: the next wait ends at once. */
  #woken = false;

  /** `fds`: the ring buffers' fds, or the epoll fd libbpf keeps for a perf buffer. */
  constructor(
    readonly target: string,
    fds: readonly number[],
  ) {
    hub ??= new Hub();
    this.#hub = hub;
    this.#fds = [...fds];
    this.#id = hub.add(this.#fds, target);
  }

  /** Resolves when an fd is ready, or wake() or close() was called. */
  wait(): Promise<void> {
    if (this.#closed || this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return this.#hub.wait(this.#id, this.#fds, this.target);
  }

  /** Ends the current wait at once, or the next one if none is in flight. */
  wake(): void {
    if (!this.#hub.cancel(this.#id)) this.#woken = true;
  }

  /** Ends the wait and leaves the set; the fds stay the caller's to close. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.remove(this.#id, this.#fds);
  }
}
