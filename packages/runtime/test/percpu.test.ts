import { readFileSync } from 'node:fs';
import {
  percpuArray,
  percpuHash,
  struct,
  u32,
  u64,
  lruPercpuHash,
  chars,
  type Infer,
} from '@bpfmaps/schema';
import { describeWith } from '@bpfmaps/testing';
import { afterEach, expect, it } from 'vitest';
import { max, min, mapFromSchema, possibleCpus, sum, type Reducer } from '../src/index.js';
import { Handles, thrown } from './helpers.js';

const Counters = struct('Counters', { packets: u64, bytes: u64, small: u32, name: chars(4) });
const handles = new Handles();
afterEach(() => handles.closeAll());

/** Possible CPUs as the kernel lists them ("0-3", "0,2-5"), read independently of libbpf. */
function kernelPossibleCpus(): number {
  const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  return text.split(',').reduce((n, range) => {
    const [a, b] = range.split('-').map(Number);
    return n + (b === undefined ? 1 : b - a! + 1);
  }, 0);
}

describeWith(['bpf'], 'per-CPU maps on the real kernel', () => {
  it('hold one value per possible CPU', () => {
    expect(possibleCpus()).toBe(kernelPossibleCpus());
    const map = handles.add(
      mapFromSchema(percpuHash('t_pcpu', { key: u32, value: Counters, maxEntries: 8 })),
    );
    expect(map.cpus).toBe(kernelPossibleCpus());
    const values = Array.from({ length: map.cpus }, (_, cpu) => ({
      packets: BigInt(cpu + 1),
      bytes: BigInt((cpu + 1) * 100),
      small: cpu,
      name: `c${cpu}`,
    }));
    map.set(7, values);
    expect(map.get(7)).toEqual(values);
  });

  it('reducers fold numeric fields; other fields keep CPU 0', () => {
    const map = handles.add(
      mapFromSchema(percpuHash('t_reduce', { key: u32, value: Counters, maxEntries: 8 })),
    );
    const n = map.cpus;
    const values = Array.from({ length: n }, (_, cpu) => ({
      packets: BigInt(cpu + 1),
      bytes: BigInt(10 * (n - cpu)),
      small: cpu * 2,
      name: `c${cpu}`,
    }));
    map.set(1, values);
    expect(map.getReduced(1, sum)).toEqual({
      packets: BigInt((n * (n + 1)) / 2),
      bytes: BigInt((10 * n * (n + 1)) / 2),
      small: n * (n - 1),
      name: 'c0',
    });
    expect(map.getReduced(1, min)).toEqual({ packets: 1n, bytes: 10n, small: 0, name: 'c0' });
    expect(map.getReduced(1, max)).toEqual({
      packets: BigInt(n),
      bytes: BigInt(10 * n),
      small: 2 * (n - 1),
      name: 'c0',
    });
    expect(map.getReduced(2)).toBeUndefined();
  });

  it("a custom reducer is a function of every CPU's copy, typed by the value", () => {
    type Counters = Infer<typeof Counters>;
    const map = handles.add(
      mapFromSchema(percpuHash('t_custom', { key: u32, value: Counters, maxEntries: 8 })),
    );
    const values = Array.from({ length: map.cpus }, (_, cpu) => ({
      packets: BigInt(cpu + 1),
      bytes: BigInt(cpu === 0 ? 1000 : cpu),
      small: cpu,
      name: `c${cpu}`,
    }));
    map.set(1, values);
    // Declared apart, typed by the value: the copy of the CPU that saw the most bytes.
    const busiest: Reducer<Counters> = (copies) =>
      copies.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    expect(map.getReduced(1, busiest)).toEqual(values[0]);
    // Inline, the value type is inferred from the map.
    const packets = map.getReduced(1, (copies) => ({
      ...copies[0]!,
      packets: copies.reduce((n, c) => n + c.packets, 0n),
    }));
    expect(packets?.packets).toBe(BigInt((map.cpus * (map.cpus + 1)) / 2));
    // A pairwise fold is not a reducer: the runtime calls it once, with every copy.
    const pairwise = (a: Counters, b: Counters) => (a.bytes > b.bytes ? a : b);
    // @ts-expect-error Target signature provides too few arguments
    const refused = () => map.getReduced(1, pairwise);
    expect(typeof refused).toBe('function');
  });

  it('setAll writes one value to every CPU', () => {
    const map = handles.add(mapFromSchema(percpuArray('t_parray', { value: u64, maxEntries: 4 })));
    map.setAll(2, 5n);
    expect(map.get(2)).toEqual(new Array(map.cpus).fill(5n));
    expect(map.getReduced(2, sum)).toBe(5n * BigInt(map.cpus));
    expect(map.get(0)).toEqual(new Array(map.cpus).fill(0n));
    expect('delete' in map).toBe(false);
    map.setAll(1, 9n);
    expect(map.clear()).toBe(4);
    expect(map.getReduced(1)).toBe(0n);
  });

  it('an LRU per-CPU hash works the same way, entries included', () => {
    const map = handles.add(
      mapFromSchema(lruPercpuHash('t_lrupcpu', { key: u32, value: u64, maxEntries: 16 })),
    );
    map.setAll(1, 1n);
    map.setAll(2, 2n);
    expect(new Map([...map.entries()].map(([key, values]) => [key, sum(values)]))).toEqual(
      new Map([
        [1, BigInt(map.cpus)],
        [2, 2n * BigInt(map.cpus)],
      ]),
    );
  });

  it('a per-CPU value must have one entry per CPU', () => {
    const map = handles.add(
      mapFromSchema(percpuHash('t_len', { key: u32, value: u64, maxEntries: 4 })),
    );
    expect(() => map.set(1, [1n])).toThrow(
      `per-CPU value: expected an array of exactly ${map.cpus} values (one per possible CPU)`,
    );
    expect(map.has(1)).toBe(false);
  });
});

it('reducers keep non-numeric values from CPU 0 at any depth', () => {
  const values = [
    { name: 'a', n: 1, inner: { tag: 'x', m: 2n }, list: [1, 2], flags: ['p', 'q'] },
    { name: 'b', n: 3, inner: { tag: 'y', m: 5n }, list: [10, 20], flags: ['r', 's'] },
  ];
  expect(sum(values)).toEqual({
    name: 'a',
    n: 4,
    inner: { tag: 'x', m: 7n },
    list: [11, 22],
    flags: ['p', 'q'],
  });
  expect(max(['a', 'b'])).toBe('a');
  expect(min([5n, 2n, 9n])).toBe(2n);
});
