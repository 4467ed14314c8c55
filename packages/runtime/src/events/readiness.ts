/**
 * Waiting for events without blocking Node's event loop and without
 * polling: epoll_wait runs on a thread of libuv's pool (one per reader
 * while it waits) and resolves on the main thread, where events are read and
 * decoded. An eventfd in the same epoll set wakes the wait at once on close
 * or abort, so nothing is left pending.
 */
import { BpfError, errnoError } from '../errors.js';
import { lastErrno, native, offThread } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';

const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
const EPOLLIN = 1;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
/** struct epoll_event: packed on x86-64 (12 bytes), 16 elsewhere; room for either. */
const EVENT_SIZE = 16;
const EINTR = 4;

export class Readiness {
  readonly #epoll: number;
  readonly #ownsEpoll: boolean;
  readonly #wake: number;
  readonly #memory = new NativeBuffer(EVENT_SIZE * 4 + 8);
  #pending: Promise<number> | undefined;
  #closed = false;
  readonly #target: string;

  /**
   * Waits on `fds` in an epoll set of its own, or adds to `epoll` (an epoll
   * fd libbpf owns, for perf buffers), with an eventfd to wake it.
   */
  constructor(target: string, watch: { fds: number[] } | { epoll: number }) {
    const lib = native();
    this.#target = target;
    this.#ownsEpoll = 'fds' in watch;
    this.#epoll = 'fds' in watch ? lib.epollCreate(EPOLL_CLOEXEC) : watch.epoll;
    if (this.#epoll < 0) throw errnoError(lastErrno(), 'element', 'watch', target);
    this.#wake = lib.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (this.#wake < 0) {
      this.#closeFds();
      throw errnoError(lastErrno(), 'element', 'watch', target);
    }
    for (const fd of ['fds' in watch ? watch.fds : [], [this.#wake]].flat()) {
      this.#memory.view.setUint32(0, EPOLLIN, true);
      this.#memory.view.setBigUint64(4, BigInt(fd), true);
      if (lib.epollCtl(this.#epoll, EPOLL_CTL_ADD, fd, this.#memory.address) < 0) {
        const errno = lastErrno();
        this.#closeFds();
        throw errnoError(errno, 'element', 'watch', target);
      }
    }
  }

  /** Resolves when an fd is ready, or wake() was called. Never more than one wait at a time. */
  async wait(): Promise<void> {
    if (this.#closed) return;
    if (this.#pending) {
      await this.#pending;
      return;
    }
    const lib = native();
    this.#pending = offThread(lib.epollWait, this.#epoll, this.#memory.address, 4, -1);
    try {
      if ((await this.#pending) < 0) this.#check();
    } finally {
      this.#pending = undefined;
      // Drain the eventfd: it stays readable until read.
      if (!this.#closed) lib.read(this.#wake, this.#memory.address + EVENT_SIZE * 4, 8);
    }
  }

  /**
   * The wait failed on another thread, whose errno is out of reach: ask
   * again here without waiting. A signal (EINTR) fails only the first.
   */
  #check(): void {
    if (native().epollWait(this.#epoll, this.#memory.address, 4, 0) >= 0) return;
    const errno = lastErrno();
    if (errno !== EINTR)
      throw new BpfError({ code: 'SYSTEM', op: 'wait for events', target: this.#target, errno });
  }

  /** Ends the current wait (or the next one) at once. */
  wake(): void {
    if (this.#closed) return;
    this.#memory.view.setBigUint64(EVENT_SIZE * 4, 1n, true);
    native().write(this.#wake, this.#memory.address + EVENT_SIZE * 4, 8);
  }

  /** Wakes a pending wait, lets it finish, then closes the fds. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.wake();
    await this.#pending?.catch(() => undefined);
    this.#closed = true;
    this.#closeFds();
    this.#memory.free();
  }

  #closeFds(): void {
    const lib = native();
    if (this.#wake >= 0) lib.close(this.#wake);
    if (this.#ownsEpoll && this.#epoll >= 0) lib.close(this.#epoll);
  }
}
