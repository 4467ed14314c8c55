import koffi from 'koffi';

// Memory from native buffers dropped without free() goes back when the owner is collected.
const leaked = new FinalizationRegistry<unknown>((ptr) => koffi.free(ptr));

/**
 * Scratch memory in C, zeroed, seen from JS through a DataView. Handing libbpf a raw
 * pointer saves koffi the work of pinning a typed array on every call, which
 * is most of what a map operation costs beyond its syscall.
 */
export class NativeBuffer {
  readonly ptr: unknown;
  /** The address as a number (user-space addresses fit in 53 bits), for `uintptr_t` parameters. */
  readonly address: number;
  readonly view: DataView;
  readonly bytes: Uint8Array;
  #freed = false;

  constructor(readonly size: number) {
    this.ptr = koffi.alloc('uint8_t', Math.max(size, 1));
    this.address = Number(koffi.address(this.ptr));
    const memory = koffi.view(this.ptr, Math.max(size, 1));
    this.view = new DataView(memory);
    this.bytes = new Uint8Array(memory, 0, size);
    // malloc's memory holds whatever was there: option structs must start zeroed.
    this.bytes.fill(0);
    leaked.register(this, this.ptr, this);
  }

  /** Releases the memory; the buffer must not be used after. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    leaked.unregister(this);
    koffi.free(this.ptr);
  }
}
