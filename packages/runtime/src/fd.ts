import { closedError, errnoError, type OpClass } from './errors.js';
import { lastErrno, native } from './ffi/libbpf.js';

// Safety net for handles dropped without close(): the fd is closed when the
// handle is garbage collected. close() is still the contract.
const leaked = new FinalizationRegistry<number>((fd) => native().close(fd));

const F_DUPFD_CLOEXEC = 1030;

/** An owned file descriptor: closed exactly once, by close(), `using`, or the finalizer. */
export class OwnedFd {
  #fd: number;

  /** `label` names the owner in errors (`map flows`). */
  constructor(
    fd: number,
    readonly label: string,
  ) {
    this.#fd = fd;
    leaked.register(this, fd, this);
  }

  /**
   * A close-on-exec duplicate of `fd`, owned independently of whoever holds
   * `fd` and named `label`; a failure is the error of `op` on `target`.
   */
  static duplicate(
    fd: number,
    label: string,
    failure: { opClass: OpClass; op: string; target: string },
  ): OwnedFd {
    const dup = native().fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (dup < 0) throw errnoError(lastErrno(), failure.opClass, failure.op, failure.target);
    return new OwnedFd(dup, label);
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** The fd number for `op`; throws BpfError CLOSED once closed, so a stale number is never reused. */
  use(op: string): number {
    if (this.#fd < 0) throw closedError(op, this.label);
    return this.#fd;
  }

  close(): void {
    if (this.#fd < 0) return;
    leaked.unregister(this);
    native().close(this.#fd);
    this.#fd = -1;
  }
}
