import { sys } from './libbpf.js';

// Safety net for handles dropped without close(): the fd is closed when the
// handle is garbage collected. close() is still the contract.
const leaked = new FinalizationRegistry<number>((fd) => sys.close(fd));

/** An owned file descriptor: closed exactly once, by close(), `using`, or the finalizer. */
export class OwnedFd {
  #fd: number;

  /** `label` names the owner in the error for use after close (`map flows`). */
  constructor(
    fd: number,
    readonly label: string,
  ) {
    this.#fd = fd;
    leaked.register(this, fd, this);
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** The fd number; throws once closed, so a stale number is never reused by mistake. */
  get value(): number {
    if (this.#fd < 0) throw new Error(`${this.label}: the handle is closed`);
    return this.#fd;
  }

  close(): void {
    if (this.#fd < 0) return;
    leaked.unregister(this);
    sys.close(this.#fd);
    this.#fd = -1;
  }
}
