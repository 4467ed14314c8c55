/** The maps that hold values without keys: queue, stack and bloom filter. */
import type { Codec } from '../codec.js';
import { closedError, errnoError, type ErrnoClass } from '../errors.js';
import { native } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';
import { MapHandle } from './handle.js';
import type { RawMap } from './raw-map.js';

const ENOENT = 2;
const BPF_EXIST = 2;

abstract class ValueMap<V> extends MapHandle {
  readonly valueCodec: Codec<V>;
  /** How errnos read: a full queue or stack is popped, or pushed with overwrite. */
  protected readonly errnoClass: ErrnoClass = this.raw.errnoClass('ordered');
  readonly #value: NativeBuffer;
  readonly #lib = native();

  constructor(map: RawMap, value: Codec<V>) {
    super(map);
    this.valueCodec = value;
    this.#value = new NativeBuffer(value.size);
  }

  #fd(op: string): number {
    if (this.raw.closed) throw closedError(op, `map ${this.name}`);
    return this.raw.fd(op);
  }

  /** Encodes `value` (checked first) and stores it with `flags`. */
  protected put(op: string, value: V, flags: number): void {
    const fd = this.#fd(op);
    this.valueCodec.encode(this.#value.view, 0, value);
    const ret = this.#lib.update(fd, 0, this.#value.address, flags);
    if (ret < 0) throw errnoError(ret, this.errnoClass, op, this.name);
  }

  /** Reads a value (`take` removes it); undefined when there is none. */
  protected read(op: string, take: boolean): V | undefined {
    const fd = this.#fd(op);
    const ret = take
      ? this.#lib.lookupAndDelete(fd, 0, this.#value.address)
      : this.#lib.lookup(fd, 0, this.#value.address);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) throw errnoError(ret, this.errnoClass, op, this.name);
    return this.valueCodec.decode(this.#value.view, 0);
  }

  /** True when the kernel finds `value` (a bloom filter's membership test). */
  protected probe(op: string, value: V): boolean {
    const fd = this.#fd(op);
    this.valueCodec.encode(this.#value.view, 0, value);
    const ret = this.#lib.lookup(fd, 0, this.#value.address);
    if (ret === -ENOENT) return false;
    if (ret < 0) throw errnoError(ret, this.errnoClass, op, this.name);
    return true;
  }

  override close(): void {
    if (this.raw.closed) return;
    super.close();
    this.#value.free();
  }
}

/** Queue (FIFO) and stack (LIFO) maps: push, pop, peek. */
abstract class OrderedMap<V> extends ValueMap<V> {
  /**
   * Adds a value. When the map is full, throws BpfError MAP_FULL, unless
   * `overwrite` makes room by dropping the oldest value (BPF_EXIST).
   */
  push(value: V, options: { overwrite?: boolean } = {}): void {
    this.put('push', value, options.overwrite ? BPF_EXIST : 0);
  }

  /** Removes and returns the next value, or undefined when empty. */
  pop(): V | undefined {
    return this.read('pop', true);
  }

  /** The next value without removing it, or undefined when empty. */
  peek(): V | undefined {
    return this.read('peek', false);
  }
}

/** BPF_MAP_TYPE_QUEUE: pop and peek see the oldest value. */
export class QueueMap<V> extends OrderedMap<V> {
  get accessor(): string {
    return 'QueueMap';
  }
}

/** BPF_MAP_TYPE_STACK: pop and peek see the newest value. */
export class StackMap<V> extends OrderedMap<V> {
  get accessor(): string {
    return 'StackMap';
  }
}

/**
 * BPF_MAP_TYPE_BLOOM_FILTER: `add` values, then `has` says false for values
 * never added, and true for added ones and, rarely, for others (false positives).
 */
export class BloomFilterMap<V> extends ValueMap<V> {
  get accessor(): string {
    return 'BloomFilterMap';
  }

  add(value: V): void {
    this.put('add', value, 0);
  }

  has(value: V): boolean {
    return this.probe('has', value);
  }
}
