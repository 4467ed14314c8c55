import type { RawMap } from '../maps/raw-map.js';
import type { EventDecoder } from './decoder.js';
import { EventMap } from './event-map.js';
import { PerfRings, type SampleSource } from './sources.js';

export interface PerfEventArrayOptions {
  /** Pages of each CPU's ring, a power of two (default 64: 256 KiB with 4 KiB pages). */
  pages?: number;
}

/**
 * A perf event array (BPF_MAP_TYPE_PERF_EVENT_ARRAY) read as decoded events,
 * in order per CPU: `for await (const e of perf)`, `subscribe(fn)`, or
 * `drain()`. `lost()` counts what the kernel dropped from full rings,
 * `drops()` what the programs' outputs could not write.
 */
export class PerfEventArray<E> extends EventMap<E> {
  readonly #pages: number;
  #rings: PerfRings | undefined;

  constructor(map: RawMap, decoder: EventDecoder<E>, options: PerfEventArrayOptions = {}) {
    super(map, decoder);
    this.#pages = options.pages ?? 64;
    // The kernel writes only to CPUs with an open ring: open them now, so
    // that nothing emitted between opening the map and the first read is lost.
    this.start();
  }

  get accessor(): string {
    return 'PerfEventArray';
  }

  protected openSource(): SampleSource {
    this.#rings = new PerfRings(this.raw.fd('read'), this.#pages, this.name);
    return this.#rings;
  }

  /** Samples the kernel lost because a CPU's ring was full (reported as the rings are read). */
  lost(): bigint {
    return this.#rings?.lost ?? 0n;
  }
}
