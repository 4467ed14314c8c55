import type { MapKind } from '@bpfmaps/schema';
import type { RawMap } from './raw-map.js';

/** What every typed map shares: the checked kernel map it owns, and closing it. */
export abstract class MapHandle implements Disposable {
  readonly #map: RawMap;

  constructor(map: RawMap) {
    this.#map = map;
  }

  /** The accessor's name, as map kinds give it (MapKind.accessor): checked when a map type is made. */
  abstract get accessor(): string;

  /** The map's name in the kernel. */
  get name(): string {
    return this.#map.name;
  }

  /** The map's fd, owned by this handle; throws BpfError CLOSED once closed. */
  get fd(): number {
    return this.#map.fd('use');
  }

  /** The underlying map: kernel info, spec, kind, pinning. */
  get raw(): RawMap {
    return this.#map;
  }

  /** The facts of the map's kind. */
  get kind(): MapKind {
    return this.#map.kind;
  }

  /** Closes the fd (idempotent). The map lives on while a program, a pin or another fd holds it. */
  close(): void {
    this.#map.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
