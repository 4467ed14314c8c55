/**
 * The bpfmaps side of every workload: the same work as c/bench.c, through the
 * generated accessor. Each returns the nanoseconds of its timed part.
 */
import { createMap, HashMap, PerCpuHashMap, ArrayMap, sum } from '@bpfmaps/runtime';
import {
  CountersCodec,
  TupleCodec,
  flowsSpec,
  percpuSpec,
  slotsSpec,
  type Counters,
  type Tuple,
} from '../bench.gen.js';
import { keyOf, valueOf } from './data.js';

export type Workload = 'set' | 'get' | 'delete' | 'entries' | 'setMany' | 'getMany' | 'percpuGet';

function prepared(n: number): { keys: Tuple[]; values: Counters[] } {
  return {
    keys: Array.from({ length: n }, (_, i) => keyOf(i)),
    values: Array.from({ length: n }, (_, i) => valueOf(i)),
  };
}

function timed(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start);
}

export function runBpfmaps(workload: Workload, n: number, batch: number): number {
  const { keys, values } = prepared(n);
  if (workload === 'percpuGet') {
    using map = createMap(
      PerCpuHashMap,
      { ...percpuSpec, maxEntries: n },
      TupleCodec,
      CountersCodec,
    );
    keys.forEach((k, i) => map.setAll(k, values[i]!));
    let sink = 0;
    return (
      timed(() => {
        for (const k of keys) sink += sum(map.get(k)!).a;
      }) +
      sink * 0
    );
  }
  using map = createMap(HashMap, { ...flowsSpec, maxEntries: n }, TupleCodec, CountersCodec);
  if (workload !== 'set' && workload !== 'setMany')
    map.setMany(keys.map((k, i) => [k, values[i]!] as const));
  let sink = 0;
  switch (workload) {
    case 'set':
      return timed(() => keys.forEach((k, i) => map.set(k, values[i]!)));
    case 'get':
      return (
        timed(() => {
          for (const k of keys) sink += map.get(k)!.a;
        }) +
        sink * 0
      );
    case 'getMany':
      return (
        timed(() => {
          for (const v of map.getMany(keys)) sink += v!.a;
        }) +
        sink * 0
      );
    case 'delete':
      return timed(() => {
        for (const k of keys) map.delete(k);
      });
    case 'setMany': {
      const entries = keys.map((k, i) => [k, values[i]!] as const);
      return timed(() => map.setMany(entries));
    }
    case 'entries':
      return (
        timed(() => {
          let seen = 0;
          for (const [, v] of map.entries({ batchSize: batch })) sink += v.a + seen++ * 0;
          if (seen !== n) throw new Error(`entries saw ${seen} of ${n}`);
        }) +
        sink * 0
      );
  }
}

/** Reading every value of an mmap'able array: through the mapping, and through batch lookup. */
export function runMmap(n: number, batch: number): { mmap: number; batch: number } {
  using map = createMap(ArrayMap, { ...slotsSpec, maxEntries: n }, CountersCodec);
  map.setMany(Array.from({ length: n }, (_, i) => [i, valueOf(i)] as const));
  using mem = map.mmap();
  let sink = 0;
  const viaMmap = timed(() => {
    for (let i = 0; i < n; i++) sink += mem.get(i).a;
  });
  const viaBatch = timed(() => {
    for (const [, v] of map.entries({ batchSize: batch })) sink += v.a;
  });
  return { mmap: viaMmap + sink * 0, batch: viaBatch };
}
