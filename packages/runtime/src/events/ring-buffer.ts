import type { RawMap } from '../maps/raw-map.js';
import type { EventDecoder } from './decoder.js';
import { EventMap } from './event-map.js';
import { LibbpfRing, MappedRing, mappedRingSupported, type SampleSource } from './sources.js';

export interface RingBufferOptions {
  /**
   * How to read the ring: 'mapped' reads it in place with no call into C
   * per event (x86-64, the default there); 'libbpf' through libbpf's
   * ring_buffer, one callback per event (the default elsewhere).
   */
  reader?: 'mapped' | 'libbpf';
}

/**
 * A BPF ring buffer (BPF_MAP_TYPE_RINGBUF) read as decoded events, in the
 * order programs submitted them, across CPUs: `for await (const e of ring)`,
 * `subscribe(fn)`, or `drain()`. `drops()` counts what the programs could
 * not reserve.
 */
export class RingBuffer<E> extends EventMap<E> {
  readonly #options: RingBufferOptions;

  constructor(map: RawMap, decoder: EventDecoder<E>, options: RingBufferOptions = {}) {
    super(map, decoder);
    this.#options = options;
  }

  get accessor(): string {
    return 'RingBuffer';
  }

  protected openSource(): SampleSource {
    const reader = this.#options.reader ?? (mappedRingSupported() ? 'mapped' : 'libbpf');
    const fd = this.raw.fd('read');
    return reader === 'mapped'
      ? new MappedRing(fd, this.raw.info.maxEntries, this.name)
      : new LibbpfRing(fd, this.name);
  }
}
