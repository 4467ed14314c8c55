import type { Codec } from './codec.js';
import { fromErrno } from './errors.js';
import { bpf } from './libbpf.js';
import { MapHandle } from './handle.js';
import type { RawMap } from './map.js';

const ENOENT = 2;

/** The maps that hold values without keys: queue, stack and bloom filter. */
export abstract class ValueMap<V> extends MapHandle {
  protected readonly codec: Codec<V>;
  protected readonly bytes: Uint8Array;
  protected readonly view: DataView;

  constructor(map: RawMap, value: Codec<V>) {
    super(map);
    this.codec = value;
    this.bytes = new Uint8Array(value.size);
    this.view = new DataView(this.bytes.buffer);
  }
}

/** Queue (FIFO) and stack (LIFO) maps: push, pop, peek. */
abstract class OrderedMap<V> extends ValueMap<V> {
  /**
   * Adds a value. When the map is full, throws BpfError MAP_FULL, unless
   * `overwrite` makes room by dropping the oldest value (BPF_EXIST).
   */
  push(value: V, options: { overwrite?: boolean } = {}): void {
    this.codec.encode(this.view, 0, value);
    const ret = bpf.update(this.fd, null, this.bytes, options.overwrite ? 2 : 0);
    if (ret < 0) throw fromErrno(ret, 'push', this.name);
  }

  /** Removes and returns the next value, or undefined when empty. */
  pop(): V | undefined {
    const ret = bpf.lookupAndDelete(this.fd, null, this.bytes);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) throw fromErrno(ret, 'pop', this.name);
    return this.codec.decode(this.view, 0);
  }

  /** The next value without removing it, or undefined when empty. */
  peek(): V | undefined {
    const ret = bpf.lookup(this.fd, null, this.bytes);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) throw fromErrno(ret, 'peek', this.name);
    return this.codec.decode(this.view, 0);
  }
}

/** BPF_MAP_TYPE_QUEUE: pop and peek see the oldest value. */
export class QueueMap<V> extends OrderedMap<V> {}

/** BPF_MAP_TYPE_STACK: pop and peek see the newest value. */
export class StackMap<V> extends OrderedMap<V> {}

/**
 * BPF_MAP_TYPE_BLOOM_FILTER: `add` values, then `has` says false for values
 * never added, and true for added ones and, rarely, for others (false positives).
 */
export class BloomFilterMap<V> extends ValueMap<V> {
  add(value: V): void {
    this.codec.encode(this.view, 0, value);
    const ret = bpf.update(this.fd, null, this.bytes, 0);
    if (ret < 0) throw fromErrno(ret, 'add', this.name);
  }

  has(value: V): boolean {
    this.codec.encode(this.view, 0, value);
    const ret = bpf.lookup(this.fd, null, this.bytes);
    if (ret === -ENOENT) return false;
    if (ret < 0) throw fromErrno(ret, 'has', this.name);
    return true;
  }
}
