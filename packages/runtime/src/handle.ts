import type { RawMap } from './map.js';

/** What every typed map shares: the checked kernel map it owns, and closing it. */
export abstract class MapHandle implements Disposable {
  readonly #map: RawMap;

  constructor(map: RawMap) {
    this.#map = map;
  }

  /** The map's name in the kernel. */
  get name(): string {
    return this.#map.name;
  }

  /** The map's fd, owned by this handle; throws once closed. */
  get fd(): number {
    return this.#map.fd;
  }

  /** The underlying map: kernel info, pinning. */
  get raw(): RawMap {
    return this.#map;
  }

  /** Closes the fd (idempotent). The map lives on while a program, a pin or another fd holds it. */
  close(): void {
    this.#map.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
