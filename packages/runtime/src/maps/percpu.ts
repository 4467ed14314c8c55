/**
 * Per-CPU maps hold one value per possible CPU. Their codec reads and
 * writes all the copies; reducers fold them into one.
 */
import { EncodeError } from '@bpfmaps/schema';
import type { Codec } from '../codec.js';
import { BpfError } from '../errors.js';
import { possibleCpus } from '../cpus.js';
import { indexCodec, zeroAll } from './array.js';
import { checkIndex } from './index-range.js';

export { possibleCpus };
import { DeletableMap } from './hash.js';
import { KeyedMap } from './keyed.js';
import type { SetMode } from './modes.js';
import type { RawMap } from './raw-map.js';

/**
 * The codec of a per-CPU value: the kernel copies one value per possible CPU,
 * each in a slot rounded up to 8 bytes. Encodes exactly that many values.
 */
export function perCpuCodec<V>(value: Codec<V>, count = possibleCpus()): Codec<V[]> {
  const stride = Math.ceil(value.size / 8) * 8;
  return {
    size: stride * count,
    encode(view, offset, values) {
      if (!Array.isArray(values) || values.length !== count) {
        throw new EncodeError(
          'per-CPU value',
          `an array of exactly ${count} values (one per possible CPU)`,
          values,
        );
      }
      for (let i = 0; i < count; i++) {
        new Uint8Array(view.buffer, view.byteOffset + offset + i * stride, stride).fill(0);
        value.encode(view, offset + i * stride, values[i] as V);
      }
    },
    decode(view, offset) {
      const values = new Array<V>(count);
      for (let i = 0; i < count; i++) values[i] = value.decode(view, offset + i * stride);
      return values;
    },
  };
}

/**
 * Combines the per-CPU copies of a value into one: getReduced calls it once,
 * with every possible CPU's copy (CPU 0 first), and returns what it returns.
 * A custom one is a plain function of that array:
 * `(copies: readonly FlowStats[]) => FlowStats`.
 */
export type Reducer<V> = (values: readonly V[]) => V;

/** A reducer for values of any type, as sum, min and max are. */
export type AnyReducer = <V>(values: readonly V[]) => V;

function combine(
  pick: (a: number, b: number) => number,
  pickBig: (a: bigint, b: bigint) => bigint,
): AnyReducer {
  /** Folds one field across the CPUs' copies; `at` reads that field from a copy. */
  const fold = (values: readonly unknown[], at: (v: unknown) => unknown): unknown => {
    const first = at(values[0]);
    if (typeof first === 'number') {
      let acc = first;
      for (let i = 1; i < values.length; i++) acc = pick(acc, at(values[i]) as number);
      return acc;
    }
    if (typeof first === 'bigint') {
      let acc = first;
      for (let i = 1; i < values.length; i++) acc = pickBig(acc, at(values[i]) as bigint);
      return acc;
    }
    if (Array.isArray(first))
      return first.map((_, j) => fold(values, (v) => (at(v) as unknown[])[j]));
    if (first !== null && typeof first === 'object' && !(first instanceof Uint8Array)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(first))
        out[k] = fold(values, (v) => (at(v) as Record<string, unknown>)[k]);
      return out;
    }
    return first; // strings, booleans, bytes: not numbers, so CPU 0's copy stands
  };
  const self = (v: unknown) => v;
  return <V>(values: readonly V[]) => fold(values, self) as V;
}

/** Adds every numeric field across CPUs (the usual way to read per-CPU counters). */
export const sum: AnyReducer = combine(
  (a, b) => a + b,
  (a, b) => a + b,
);
/** The smallest value of every numeric field across CPUs. */
export const min: AnyReducer = combine(
  (a, b) => Math.min(a, b),
  (a, b) => (a < b ? a : b),
);
/** The largest value of every numeric field across CPUs. */
export const max: AnyReducer = combine(
  (a, b) => Math.max(a, b),
  (a, b) => (a > b ? a : b),
);

/**
 * A per-CPU hash (BPF_MAP_TYPE_PERCPU_HASH, LRU_PERCPU_HASH): `get` returns one
 * value per possible CPU; `getReduced` folds them; `setAll` writes one value
 * to every CPU.
 */
export class PerCpuHashMap<K, V> extends DeletableMap<K, V[]> {
  get accessor(): string {
    return 'PerCpuHashMap';
  }
  readonly cpus: number;

  constructor(map: RawMap, key: Codec<K>, value: Codec<V>) {
    const count = possibleCpus();
    super(map, key, perCpuCodec(value, count));
    this.cpus = count;
  }

  /** The per-CPU values under `key` folded by `reducer` (sum, min, max, or your own), or undefined. */
  getReduced(key: K, reducer: Reducer<V> = sum): V | undefined {
    return reduced(this.get(key), reducer);
  }

  /** Writes `value` as the value of every CPU. */
  setAll(key: K, value: V, mode: SetMode = 'any'): void {
    this.set(key, copies(this.cpus, value), mode);
  }

  /** Removes `key` and returns its per-CPU values in one syscall (kernel 5.14+); undefined if absent. */
  getAndDelete(key: K): V[] | undefined {
    return this.takeKey(key);
  }
}

/** A per-CPU array (BPF_MAP_TYPE_PERCPU_ARRAY): u32 indexes that always exist, one value per possible CPU. */
export class PerCpuArrayMap<V> extends KeyedMap<number, V[]> {
  get accessor(): string {
    return 'PerCpuArrayMap';
  }
  readonly cpus: number;

  constructor(map: RawMap, value: Codec<V>) {
    const count = possibleCpus();
    super(map, indexCodec, perCpuCodec(value, count));
    this.cpus = count;
  }

  /** An index at or past the end is OUT_OF_RANGE for every operation, before any syscall. */
  protected override checkKey(_view: DataView, _offset: number, index: number, op: string): void {
    checkIndex(op, this.name, index, this.raw.info.maxEntries);
  }

  /** The per-CPU values at `index` folded by `reducer` (sum, min, max, or your own); OUT_OF_RANGE past the end. */
  getReduced(index: number, reducer: Reducer<V> = sum): V | undefined {
    return reduced(this.get(index), reducer);
  }

  /** Writes `value` as the value of every CPU. */
  setAll(index: number, value: V, mode: SetMode = 'any'): void {
    this.set(index, copies(this.cpus, value), mode);
  }

  /** Zeroes every CPU's value at every index; returns max_entries. */
  clear(): number {
    return zeroAll(this);
  }
}

function reduced<V>(values: V[] | undefined, reducer: Reducer<V>): V | undefined {
  return values === undefined ? undefined : reducer(values);
}

function copies<V>(n: number, value: V): V[] {
  return Array.from({ length: n }, () => value);
}
