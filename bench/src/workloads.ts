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
import koffi from 'koffi';

export type Workload =
  | 'set'
  | 'get'
  | 'floor'
  | 'delete'
  | 'entries'
  | 'setMany'
  | 'getMany'
  | 'hasMany'
  | 'addMany'
  | 'percpuGet';

function prepared(n: number): { keys: Tuple[]; values: Counters[] } {
  return {
    keys: Array.from({ length: n }, (_, i) => keyOf(i)),
    values: Array.from({ length: n }, (_, i) => valueOf(i)),
  };
}

/**
 * Times `fn`, after a full garbage collection (node --expose-gc, as npm run
 * bench starts it): the keys and values just prepared are then old, and
 * collecting them is not charged to the operation. C has no collector to pay.
 */
function timed(fn: () => void): number {
  (globalThis as { gc?: () => void }).gc?.();
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start);
}

/**
 * The workload on bpfmaps: first on a small map, untimed, so V8 has compiled
 * the paths it takes (C comes compiled ahead of time, and a long-running
 * agent runs warm), then timed on `n`.
 */
export function runBpfmaps(workload: Workload, n: number, batch: number): number {
  for (let i = 0; i < WARMUPS; i++) runOnce(workload, Math.min(n, 50_000), batch);
  return runOnce(workload, n, batch);
}

/** Untimed passes before each timed one: enough for V8 to optimize the loops on the hot path. */
const WARMUPS = 2;

function runOnce(workload: Workload, n: number, batch: number): number {
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
  // A handle writes its in-kernel programs on first use (verifying them takes milliseconds): not per key.
  if (workload === 'getMany' || workload === 'hasMany' || workload === 'addMany') {
    map.getMany(keys.slice(0, 1));
    map.hasMany(keys.slice(0, 1));
    map.addMany([[keys[0]!, { a: 0 }]]);
  }
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
    case 'hasMany':
      return (
        timed(() => {
          for (const found of map.hasMany(keys)) sink += found ? 1 : 0;
        }) +
        sink * 0
      );
    case 'addMany': {
      const adds = keys.map((k) => [k, { a: 1 }] as const);
      return timed(() => map.addMany(adds));
    }
    case 'floor':
      return floor(map.fd, keys);
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

/**
 * The FFI floor: the same bpf(2) lookup get() makes, through koffi as the
 * runtime binds it, on keys encoded before the clock starts and a value never
 * decoded. What get() costs beyond it is bpfmaps' own.
 */
function floor(fd: number, keys: readonly Tuple[]): number {
  const lookup = libbpf().func(
    'int bpf_map_lookup_elem(int fd, uintptr_t key, uintptr_t value)',
  ) as (fd: number, key: number, value: number) => number;
  const memory = koffi.alloc('uint8_t', keys.length * 16 + 32);
  const base = Number(koffi.address(memory));
  const view = new DataView(koffi.view(memory, keys.length * 16 + 32));
  keys.forEach((k, i) => TupleCodec.encode(view, i * 16, k));
  const value = base + keys.length * 16;
  try {
    return timed(() => {
      for (let i = 0; i < keys.length; i++)
        if (lookup(fd, base + i * 16, value) !== 0) throw new Error(`floor: key ${i} missing`);
    });
  } finally {
    koffi.free(memory);
  }
}

let lib: ReturnType<typeof koffi.load> | undefined;
function libbpf(): ReturnType<typeof koffi.load> {
  lib ??= koffi.load('libbpf.so.1');
  return lib;
}

/** Reading every value of an mmap'able array: through the mapping, and through batch lookup. */
export function runMmap(n: number, batch: number): { mmap: number; field: number; batch: number } {
  for (let i = 0; i < WARMUPS; i++) mmapOnce(Math.min(n, 50_000), batch); // untimed: see runBpfmaps
  return mmapOnce(n, batch);
}

function mmapOnce(n: number, batch: number): { mmap: number; field: number; batch: number } {
  using map = createMap(ArrayMap, { ...slotsSpec, maxEntries: n }, CountersCodec);
  map.setMany(Array.from({ length: n }, (_, i) => [i, valueOf(i)] as const));
  using mem = map.mmap();
  let sink = 0;
  const viaMmap = timed(() => {
    for (let i = 0; i < n; i++) sink += mem.get(i).a;
  });
  const a = mem.field('a');
  const viaField = timed(() => {
    for (let i = 0; i < n; i++) sink += a.get(i);
  });
  const viaBatch = timed(() => {
    for (const [, v] of map.entries({ batchSize: batch })) sink += v.a;
  });
  return { mmap: viaMmap + sink * 0, field: viaField, batch: viaBatch };
}
