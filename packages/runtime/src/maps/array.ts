import { u32 } from '@bpfmaps/schema/codec';
import type { Codec } from '../codec.js';
import { checkIndex } from './index-range.js';
import { KeyedMap } from './keyed.js';
import { MmapArray } from './mmap.js';
import type { RawMap } from './raw-map.js';

/** The u32 index of array maps. */
export const indexCodec: Codec<number> = {
  size: 4,
  encode: (view, offset, index) => view.setUint32(offset, u32(index, 'array index', ''), true),
  decode: (view, offset) => view.getUint32(offset, true),
};

/** Writes the zero value at every index (what clear() means for arrays, whose elements always exist); returns the count. */
export function zeroAll<V>(map: KeyedMap<number, V>): number {
  const zero = map.valueCodec.decode(new DataView(new ArrayBuffer(map.valueCodec.size)), 0);
  const n = map.raw.info.maxEntries;
  map.setMany(Array.from({ length: n }, (_, i) => [i, zero] as const));
  return n;
}

/**
 * A map of BPF_MAP_TYPE_ARRAY: u32 indexes below max_entries, each of which
 * always exists (zeroed at creation). There is no delete: clear() zeroes.
 * Any operation on an index past the end throws BpfError OUT_OF_RANGE.
 */
export class ArrayMap<V> extends KeyedMap<number, V> {
  get accessor(): string {
    return 'ArrayMap';
  }

  constructor(map: RawMap, value: Codec<V>) {
    super(map, indexCodec, value);
  }

  /** An index at or past the end is OUT_OF_RANGE for every operation, before any syscall. */
  protected override checkKey(_view: DataView, _offset: number, index: number, op: string): void {
    checkIndex(op, this.name, index, this.raw.info.maxEntries);
  }

  /** Zeroes every value; returns max_entries. */
  clear(): number {
    return zeroAll(this);
  }

  /** Maps the values into memory (the map needs flags: mapFlags.mmapable): reads and writes without syscalls. */
  mmap(): MmapArray<V> {
    return new MmapArray(this.raw, this.valueCodec);
  }
}
