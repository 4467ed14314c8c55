/**
 * Bulk operations done in the kernel by syscall programs the runtime writes
 * (getMany, hasMany, addMany, compareAndSwap, update's swap), drain by
 * lookup-and-delete batches, and mmap'ed field access. Each is checked
 * against the per-key operations it stands for, beside kernel programs
 * writing the same values from another thread, and with the in-kernel path
 * turned off (the fallback must give the same results).
 */
import { Worker } from 'node:worker_threads';
import {
  array,
  bytes,
  chars,
  hash,
  ipv4,
  lpmTrie,
  lruHash,
  mapFlags,
  percpuHash,
  spinLock,
  struct,
  u16,
  u32,
  u64,
  u8,
  type MapDecl,
} from '@bpfmaps/schema';
import { compileBpf, describeWith } from '@bpfmaps/testing';
import { afterEach, expect, it } from 'vitest';
import {
  BpfObject,
  EncodeError,
  HashMap,
  mapFromSchema,
  openMap,
  possibleCpus,
  referenceCodec,
  type KeyedMap,
} from '../src/index.js';
import { kernelOpsAvailable } from '../src/maps/kernel-batch.js';
import { Handles, thrown } from './helpers.js';

const handles = new Handles();
afterEach(() => handles.closeAll());

const Key = struct('Key', { id: u32, port: u16 });
const Stats = struct('Stats', { packets: u64, bytes: u64, hits: u32, name: chars(6) });
type AnyMap = KeyedMap<unknown, unknown>;

const Rgb = struct('Rgb', { r: u8, g: u8, b: u8 });
const Locked = struct('Locked', { packets: u64, lock: spinLock, hits: u32 });

/** Every kind with keys and values, how its keys look, and values other than Stats. */
const KINDS: {
  name: string;
  decl: MapDecl;
  key: (i: number) => unknown;
  value?: (i: number) => unknown;
}[] = [
  {
    name: 'hash',
    decl: hash('t_k_hash', { key: Key, value: Stats, maxEntries: 4096 }),
    key: (i) => ({ id: i, port: i % 7 }),
  },
  {
    name: 'lruHash',
    decl: lruHash('t_k_lru', { key: Key, value: Stats, maxEntries: 4096 }),
    key: (i) => ({ id: i, port: 1 }),
  },
  { name: 'array', decl: array('t_k_array', { value: Stats, maxEntries: 4096 }), key: (i) => i },
  {
    name: 'hash of a 3-byte value (programs read no further than the value)',
    decl: hash('t_k_rgb', { key: u32, value: Rgb, maxEntries: 4096 }),
    key: (i) => i,
    value: (i) => ({ r: i % 256, g: 1, b: 2 }),
  },
  {
    name: 'hash of a value with a spinLock (programs do not touch the lock)',
    decl: hash('t_k_locked', { key: u32, value: Locked, maxEntries: 4096 }),
    key: (i) => i,
    value: (i) => ({ packets: BigInt(i), hits: i }),
  },
  {
    name: 'percpuHash (per key)',
    decl: percpuHash('t_k_pch', { key: u32, value: u64, maxEntries: 4096 }),
    key: (i) => i,
  },
];

/** Runs `fn` with the in-kernel path turned off for the maps it creates. */
function fallback<T>(fn: () => T): T {
  process.env.BPFMAPS_KERNEL_OPS = '0';
  try {
    return fn();
  } finally {
    delete process.env.BPFMAPS_KERNEL_OPS;
  }
}

/** What every bulk operation gives on a map of `decl`, the same keys, present, missing and repeated. */
function bulkResults(
  decl: MapDecl,
  keyOf: (i: number) => unknown,
  valueOf?: (i: number) => unknown,
) {
  const map = handles.add(mapFromSchema(decl)) as unknown as AnyMap;
  const perCpu = decl.kind.perCpu;
  const value = (i: number) =>
    valueOf
      ? valueOf(i)
      : perCpu
        ? Array.from({ length: possibleCpus() }, () => BigInt(i))
        : { packets: BigInt(i), bytes: BigInt(2 * i), hits: i, name: `n${i % 100}` };
  // 3000 keys, past the capacity of one program run; every third one stored.
  const stored = Array.from({ length: 1000 }, (_, i) => 3 * i);
  map.setMany(stored.map((i) => [keyOf(i), value(i)] as const));
  const asked = [...Array.from({ length: 3000 }, (_, i) => keyOf(i)), keyOf(3), keyOf(3), keyOf(4)];
  return {
    getMany: map.getMany(asked),
    perKey: asked.map((k) => map.get(k)),
    hasMany: map.hasMany(asked),
    has: asked.map((k) => map.has(k)),
  };
}

describeWith(['bpf'], 'in-kernel bulk operations', () => {
  it('this machine runs syscall programs (else every test below checks the fallback only)', () => {
    expect(kernelOpsAvailable()).toBe(true);
  });

  it.each(KINDS)(
    '$name: getMany and hasMany on hits, misses and repeats equal get and has, in the kernel and without',
    ({ decl, key, value }) => {
      const inKernel = bulkResults(decl, key, value);
      expect(inKernel.getMany).toEqual(inKernel.perKey);
      expect(inKernel.hasMany).toEqual(inKernel.has);
      expect(inKernel.hasMany.filter(Boolean)).toHaveLength(decl.kind.fixedKeys ? 3003 : 1002);
      const without = fallback(() => bulkResults(decl, key, value));
      expect(without).toEqual(inKernel);
    },
  );

  it.each(KINDS.filter((k) => !k.decl.kind.perCpu && !k.value))(
    '$name: addMany adds to the named fields, inserting missing keys, in the kernel and without',
    ({ decl, key }) => {
      const run = () => {
        const map = handles.add(mapFromSchema(decl)) as unknown as AnyMap;
        map.set(key(1), { packets: 10n, bytes: 20n, hits: 1, name: 'one' });
        map.addMany([
          [key(1), { packets: 5, bytes: 100n }],
          [key(2), { hits: 7 }],
          [key(1), { packets: -1, hits: 2 }],
        ]);
        map.add(key(3), { bytes: 2n ** 40n });
        return [1, 2, 3].map((i) => map.get(key(i)));
      };
      const inKernel = run();
      expect(inKernel).toEqual([
        { packets: 14n, bytes: 120n, hits: 3, name: 'one' },
        { packets: 0n, bytes: 0n, hits: 7, name: '' },
        { packets: 0n, bytes: 2n ** 40n, hits: 0, name: '' },
      ]);
      expect(fallback(run)).toEqual(inKernel);
    },
  );

  it('adds are checked before anything is added: unknown fields, fields that are no 4- or 8-byte integers, amounts that do not fit', () => {
    const map = handles.add(mapFromSchema(KINDS[0]!.decl)) as unknown as AnyMap;
    const k = { id: 1, port: 1 };
    const cases: [unknown, string][] = [
      [
        { packetz: 1 },
        'packetz is no integer field of 4 or 8 bytes of the value (what addMany works on); it has: packets, bytes, hits',
      ],
      [{ name: 1 }, 'name is no integer field of 4 or 8 bytes'],
      [
        { hits: 2 ** 32 },
        'the amount for hits must be an integer from -2147483648 to 4294967295 (32 bits, wrapping; a negative one subtracts), received 4294967296',
      ],
      [{ packets: 1.5 }, 'received 1.5'],
      [{ packets: '1' }, 'received "1"'],
      [
        { packets: 2 ** 60 },
        'past Number.MAX_SAFE_INTEGER, where a number is no longer exact: pass a bigint',
      ],
    ];
    for (const [delta, says] of cases) {
      const e = thrown(() =>
        map.addMany([
          [k, { packets: 1 }],
          [k, delta as never],
        ]),
      );
      expect(e.code).toBe('INVALID');
      expect(e.message).toContain(says);
    }
    expect(map.get(k)).toBeUndefined();
    expect(() => map.add({ id: -1, port: 1 }, { packets: 1 })).toThrow(
      'Key.id: expected an integer in 0..4294967295 (u32), received -1',
    );
  });

  it('a full map: what fits is added, the rest is MAP_FULL naming the key and the count', () => {
    const map = handles.add(
      mapFromSchema(
        hash('t_k_full', { key: u32, value: Stats, maxEntries: 4, flags: mapFlags.noPrealloc }),
      ),
    ) as unknown as AnyMap;
    const e = thrown(() => map.addMany([1, 2, 3, 4, 5, 6].map((i) => [i, { hits: 1 }] as const)));
    expect(e.code).toBe('MAP_FULL');
    expect(e.message).toContain('4 of the 6 entries were applied, each alone');
    const one = thrown(() => map.add(7, { hits: 1 }));
    expect(one.message).toMatch(/there is no room to add it$/);
    expect(map.count()).toBe(4);
  });

  it('add with no amounts inserts a missing key as zeroes, in the kernel and without, and leaves one there alone', () => {
    for (const run of [(f: () => void) => f(), fallback]) {
      run(() => {
        const map = handles.add(mapFromSchema(KINDS[0]!.decl)) as unknown as AnyMap;
        map.set({ id: 1, port: 1 }, { packets: 5n, bytes: 0n, hits: 0, name: 'x' });
        map.addMany([
          [{ id: 1, port: 1 }, {}],
          [{ id: 2, port: 2 }, {}],
        ]);
        expect(map.get({ id: 1, port: 1 })).toEqual({ packets: 5n, bytes: 0n, hits: 0, name: 'x' });
        expect(map.get({ id: 2, port: 2 })).toEqual({ packets: 0n, bytes: 0n, hits: 0, name: '' });
        map.close();
        expect(thrown(() => map.addMany([])).code).toBe('CLOSED');
      });
    }
  });

  it('an LPM trie refuses adds, swaps and update: its lookup finds the covering prefix, not the key', () => {
    const Prefix = struct('Prefix', { prefixlen: u32, addr: ipv4 });
    const map = handles.add(
      mapFromSchema(
        lpmTrie('t_k_lpm', {
          key: Prefix,
          value: struct('Hits', { hits: u64.counter() }),
          maxEntries: 16,
          flags: mapFlags.noPrealloc,
        }),
      ),
    ) as unknown as AnyMap;
    map.set({ prefixlen: 8, addr: '10.0.0.0' }, { hits: 1000n });
    const host = { prefixlen: 32, addr: '10.1.2.3' };
    for (const use of [
      () => map.add(host, { hits: 1 }),
      () => map.addMany([[host, { hits: 1 }]]),
      () => map.compareAndSwap(host, 'hits' as never, 1000, 0),
      () => map.update(host, () => ({ hits: 1n })),
    ]) {
      const e = thrown(use);
      expect(e.code).toBe('NOT_SUPPORTED');
      expect(e.message).toContain(
        'a lookup in an lpmTrie finds the longest prefix covering the key, not the key',
      );
    }
    expect([...map.entries()]).toEqual([[{ prefixlen: 8, addr: '10.0.0.0' }, { hits: 1000n }]]);
  });

  it('fields far into a large value (past the 32 KiB an instruction offset reaches) are added to, swapped and read', () => {
    const Far = struct('Far', {
      near: u64.counter(),
      blob: bytes(40_000),
      mid: u32.counter(),
      more: bytes(30_000),
      far: u64.counter(),
    });
    for (const run of [(f: () => void) => f(), fallback]) {
      run(() => {
        const map = handles.add(
          mapFromSchema(hash('t_k_far', { key: u32, value: Far, maxEntries: 4 })),
        ) as unknown as AnyMap;
        map.addMany([
          [1, { near: 1, mid: 2, far: 3 }],
          [1, { far: 10n }],
        ]);
        expect(map.compareAndSwap(1, 'far' as never, 13, 20)).toEqual({
          swapped: true,
          previous: 13n,
        });
        expect(map.compareAndSwap(1, 'mid' as never, 2, 5)).toEqual({
          swapped: true,
          previous: 2n,
        });
        const [got, missing] = map.getMany([1, 2]) as {
          near: bigint;
          mid: number;
          far: bigint;
          blob: Uint8Array;
        }[];
        expect([got!.near, got!.mid, got!.far, missing]).toEqual([1n, 5, 20n, undefined]);
        expect(got!.blob.every((b) => b === 0)).toBe(true);
        expect(map.update(1, (v) => ({ ...(v as object), far: 21n }) as never)).toBeDefined();
        expect((map.get(1) as { far: bigint }).far).toBe(21n);
      });
    }
  });

  it("a map's access flags hold for the bulk operations as for the syscalls", () => {
    const C = struct('C', { n: u64.counter() });
    const make = (name: string, flags: number) =>
      handles.add(
        mapFromSchema(hash(name, { key: u32, value: C, maxEntries: 4, flags })),
      ) as unknown as AnyMap;
    // Read-only from user space: no write of any kind.
    const ro = make('t_k_ro', mapFlags.rdonly);
    for (const write of [
      () => ro.add(1, { n: 1 }),
      () => ro.compareAndSwap(1, 'n' as never, 0, 1),
      () => ro.update(1, () => ({ n: 5n })),
    ])
      expect(['PERMISSION', 'KEY_NOT_FOUND']).toContain(thrown(write).code);
    expect(ro.getMany([1])).toEqual([undefined]);
    // Write-only from user space: no read.
    const wo = make('t_k_wo', mapFlags.wronly);
    expect(thrown(() => wo.getMany([1])).code).toBe('PERMISSION');
    expect(thrown(() => wo.hasMany([1])).code).toBe('PERMISSION');
    // Limits on programs: the bulk operations go key by key, and work.
    for (const [name, flags] of [
      ['t_k_rop', mapFlags.rdonlyProg],
      ['t_k_wop', mapFlags.wronlyProg],
    ] as const) {
      const map = make(name, flags);
      map.addMany([
        [1, { n: 2 }],
        [1, { n: 3 }],
      ]);
      expect(map.getMany([1, 2])).toEqual([{ n: 5n }, undefined]);
      expect(map.compareAndSwap(1, 'n' as never, 5, 6)).toEqual({ swapped: true, previous: 5n });
    }
  });

  it('a drain stopped early (break, a throw) puts back what it took and did not hand out', () => {
    const map = handles.add(mapFromSchema(KINDS[0]!.decl)) as unknown as HashMap<
      { id: number; port: number },
      { packets: bigint; bytes: bigint; hits: number; name: string }
    >;
    const value = (i: number) => ({ packets: BigInt(i), bytes: 0n, hits: 0, name: '' });
    map.setMany(Array.from({ length: 600 }, (_, i) => [{ id: i, port: 0 }, value(i)] as const));
    const taken: number[] = [];
    for (const [key] of map.drain({ batchSize: 256 })) {
      taken.push(key.id);
      if (taken.length === 10) break;
    }
    expect(map.count()).toBe(590);
    expect(() => {
      for (const [key] of map.drain({ batchSize: 256 })) {
        taken.push(key.id);
        if (taken.length === 15) throw new Error('stop');
      }
    }).toThrow('stop');
    expect(map.count()).toBe(585);
    const rest = [...map.drain()].map(([key]) => key.id);
    expect([...taken, ...rest].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 600 }, (_, i) => i),
    );
  });

  it('a bad key of a bulk call names the call, the map and its place; nothing is done', () => {
    for (const run of [(f: () => void) => f(), fallback]) {
      run(() => {
        const map = handles.add(mapFromSchema(KINDS[0]!.decl)) as unknown as AnyMap;
        const good = { id: 1, port: 1 };
        const bad = { id: -1, port: 1 };
        for (const [call, says] of [
          [
            () => map.getMany([good, bad]),
            'getMany t_k_hash key 1: Key.id: expected an integer in 0..4294967295 (u32), received -1',
          ],
          [() => map.hasMany([good, good, bad]), 'hasMany t_k_hash key 2: Key.id'],
          [
            () =>
              map.addMany([
                [good, { hits: 1 }],
                [bad, { hits: 1 }],
              ]),
            'addMany t_k_hash entry 1: Key.id',
          ],
          [
            () =>
              map.setMany([
                [good, { packets: 1n, bytes: 1n, hits: 1, name: 'a' }],
                [good, { packets: -1n }],
              ]),
            'setMany t_k_hash entry 1: Stats.packets',
          ],
          [
            () => (map as unknown as HashMap<unknown, unknown>).deleteMany([good, bad]),
            'deleteMany t_k_hash key 1: Key.id',
          ],
        ] as const) {
          expect(call).toThrow(EncodeError);
          expect(call).toThrow(says);
        }
        expect(map.count()).toBe(0);
      });
    }
  });

  it('compareAndSwap takes only what the field can hold, and update only a function', () => {
    const map = handles.add(mapFromSchema(KINDS[0]!.decl)) as unknown as AnyMap;
    const k = { id: 3, port: 3 };
    map.set(k, { packets: 1n, bytes: 2n, hits: 10, name: 'x' });
    const cases: [number | bigint, number | bigint, string][] = [
      [
        10,
        -1,
        'desired must be what hits can hold, an integer from 0 to 4294967295 (u32), received -1',
      ],
      [
        -1,
        3,
        'expected must be what hits can hold, an integer from 0 to 4294967295 (u32), received -1',
      ],
      [10, 2 ** 32, 'received 4294967296'],
      [10, 1.5, 'received 1.5'],
    ];
    for (const [expected, desired, says] of cases) {
      const e = thrown(() => map.compareAndSwap(k, 'hits' as never, expected, desired));
      expect(e.code).toBe('INVALID');
      expect(e.message).toContain(says);
    }
    const notInt = thrown(() => map.compareAndSwap(k, 'name' as never, 0, 1));
    expect(notInt.message).toContain(
      'name is no integer field of 4 or 8 bytes of the value (what compareAndSwap works on)',
    );
    expect(() => map.update(k, () => ({ packets: -1n }) as never)).toThrow(
      'update t_k_hash for key {"id":3,"port":3}: what the function returned: Stats.packets',
    );
    const e = thrown(() => map.update(k, 5 as never));
    expect(e.code).toBe('INVALID');
    expect(e.message).toContain(
      'update t_k_hash: expected a function of the current value, received 5',
    );
    expect(map.get(k)).toEqual({ packets: 1n, bytes: 2n, hits: 10, name: 'x' });
  });

  it('compareAndSwap swaps only what holds the expected value; a missing key is KEY_NOT_FOUND', () => {
    for (const run of [(f: () => void) => f(), fallback]) {
      run(() => {
        const map = handles.add(mapFromSchema(KINDS[0]!.decl)) as unknown as HashMap<
          { id: number; port: number },
          { packets: bigint; bytes: bigint; hits: number; name: string }
        >;
        const k = { id: 9, port: 9 };
        map.set(k, { packets: 1n, bytes: 2n, hits: 3, name: 'x' });
        expect(map.compareAndSwap(k, 'hits', 3, 30)).toEqual({ swapped: true, previous: 3n });
        expect(map.compareAndSwap(k, 'hits', 3, 40)).toEqual({ swapped: false, previous: 30n });
        expect(map.compareAndSwap(k, 'packets', 1n, 2n ** 63n)).toEqual({
          swapped: true,
          previous: 1n,
        });
        expect(map.get(k)).toEqual({ packets: 2n ** 63n, bytes: 2n, hits: 30, name: 'x' });
        expect(thrown(() => map.compareAndSwap({ id: 1, port: 1 }, 'hits', 0, 1)).code).toBe(
          'KEY_NOT_FOUND',
        );
      });
    }
  });

  it('drain takes every entry once and leaves the map empty; arrays cannot be drained', () => {
    const map = handles.add(
      mapFromSchema(hash('t_k_drain', { key: u32, value: u64, maxEntries: 5000 })),
    );
    map.setMany(Array.from({ length: 3000 }, (_, i) => [i, BigInt(i)] as const));
    const taken = [...map.drain({ batchSize: 64 })];
    expect(taken.map(([k]) => k).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 3000 }, (_, i) => i),
    );
    expect(taken.every(([k, v]) => v === BigInt(k))).toBe(true);
    expect(map.count()).toBe(0);
    const arr = handles.add(
      mapFromSchema(array('t_k_arr', { value: u64, maxEntries: 4 })),
    ) as unknown as { drain?: unknown };
    expect(arr.drain).toBeUndefined();
  });

  it('mmap field access reads and writes one field of a value, no more', () => {
    const map = handles.add(
      mapFromSchema(
        array('t_k_mm', {
          value: struct('Cell', { packets: u64, fast: u64.asNumber(), hits: u32, name: chars(4) }),
          maxEntries: 8,
          flags: mapFlags.mmapable,
        }),
      ),
    );
    map.set(3, { packets: 5n, fast: 6, hits: 7, name: 'abc' });
    using mem = map.mmap();
    const packets = mem.field('packets');
    const fast = mem.field('fast');
    const hits = mem.field('hits');
    expect([packets.get(3), fast.get(3), hits.get(3)]).toEqual([5n, 6, 7]);
    hits.set(3, 70);
    fast.set(3, 2 ** 40);
    expect(map.get(3)).toEqual({ packets: 5n, fast: 2 ** 40, hits: 70, name: 'abc' });
    expect(() => hits.set(3, -1)).toThrow(
      't_k_mm[3].hits: expected an integer in 0..4294967295 (u32), received -1',
    );
    expect(thrown(() => hits.get(8)).code).toBe('OUT_OF_RANGE');
    expect(thrown(() => mem.field('name' as never)).code).toBe('NOT_SUPPORTED');
    expect(thrown(() => mem.field('nope' as never)).code).toBe('NOT_FOUND');
  });
});

const COUNTER = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct stats { __u64 packets; __u64 bytes; __u32 flag; __u32 pad; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct stats);
} by_len SEC(".maps");

SEC("xdp")
int count(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	struct stats *s = bpf_map_lookup_elem(&by_len, &len);
	if (!s)
		return XDP_ABORTED;
	__sync_fetch_and_add(&s->packets, 1);
	__sync_fetch_and_add(&s->bytes, len);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

const Counted = struct('Stats', { packets: u64, bytes: u64, flag: u32, pad: u32 });

/** A worker that runs program `count` on frames of `len` bytes, `rounds` x `repeat` times. */
function kernelIncrements(fd: number, len: number, rounds: number, repeat: number) {
  const worker = new Worker(
    `import { Program } from '@bpfmaps/runtime';
     import { workerData, parentPort } from 'node:worker_threads';
     const program = Program.fromFd('count', workerData.fd);
     for (let r = 0; r < workerData.rounds; r++) program.testRun({ data: new Uint8Array(workerData.len), repeat: workerData.repeat });
     parentPort.postMessage('done');`,
    { eval: true, workerData: { fd, len, rounds, repeat } },
  );
  const done = new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  let finished = false;
  void done.then(() => (finished = true));
  return { done: () => finished, wait: done, stop: () => worker.terminate() };
}

describeWith(
  ['bpf', 'clang', 'libbpf-headers'],
  'in-kernel operations beside kernel programs',
  () => {
    const object = compileBpf(COUNTER);
    /** The counting program's object and its by_len map, typed. */
    const loadCounter = () => {
      const obj = handles.add(BpfObject.load(object));
      const map = handles.add(
        openMap(
          HashMap,
          obj.map('by_len'),
          hash('by_len', { key: u32, value: Counted, maxEntries: 64 }).spec,
          referenceCodec(u32),
          referenceCodec(Counted),
        ),
      );
      return { obj, map };
    };

    it('addMany while a program increments the same counters: the totals are exact', async () => {
      const { obj, map } = loadCounter();
      map.set(64, { packets: 0n, bytes: 0n, flag: 0, pad: 0 });
      const rounds = 60;
      const repeat = 2000;
      const kernel = kernelIncrements(obj.program('count').fd, 64, rounds, repeat);
      let adds = 0;
      try {
        while (!kernel.done()) {
          map.addMany(Array.from({ length: 100 }, () => [64, { packets: 1, bytes: 1 }] as const));
          adds += 100;
          await new Promise((r) => setImmediate(r));
        }
        await kernel.wait;
      } finally {
        await kernel.stop();
      }
      expect(adds).toBeGreaterThan(100);
      expect(map.get(64)).toEqual({
        packets: BigInt(rounds * repeat + adds),
        bytes: BigInt(rounds * repeat * 64 + adds),
        flag: 0,
        pad: 0,
      });
    });

    it('update() changing one field swaps it: no increment of the other fields is lost', async () => {
      const { obj, map } = loadCounter();
      map.set(100, { packets: 0n, bytes: 0n, flag: 0, pad: 0 });
      const rounds = 60;
      const repeat = 2000;
      const kernel = kernelIncrements(obj.program('count').fd, 100, rounds, repeat);
      let updates = 0;
      try {
        while (!kernel.done()) {
          map.update(100, (v) => ({ ...v!, flag: v!.flag + 1 }));
          updates++;
          await new Promise((r) => setImmediate(r));
        }
        await kernel.wait;
      } finally {
        await kernel.stop();
      }
      expect(updates).toBeGreaterThan(10);
      expect(map.get(100)).toEqual({
        packets: BigInt(rounds * repeat),
        bytes: BigInt(rounds * repeat * 100),
        flag: updates,
        pad: 0,
      });
    });

    it('drain beside a writer loses nothing: every key inserted is taken once, or still there', async () => {
      const map = handles.add(
        mapFromSchema(hash('t_k_race', { key: u32, value: u64, maxEntries: 100_000 })),
      );
      const total = 40_000;
      const worker = new Worker(
        `import { HashMap, openMap, referenceCodec } from '@bpfmaps/runtime';
       import { hash, u32, u64 } from '@bpfmaps/schema';
       import { workerData, parentPort } from 'node:worker_threads';
       const spec = hash('t_k_race', { key: u32, value: u64, maxEntries: 100000 }).spec;
       const map = openMap(HashMap, { origin: 'the test', fd: () => workerData.fd }, spec, referenceCodec(u32), referenceCodec(u64));
       for (let i = 0; i < workerData.total; i++) map.set(i, BigInt(i) * 3n);
       map.close();
       parentPort.postMessage('done');`,
        { eval: true, workerData: { fd: map.fd, total } },
      );
      let finished = false;
      const done = new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
      });
      void done.then(() => (finished = true));
      const seen = new Map<number, bigint>();
      let rounds = 0;
      try {
        while (!finished) {
          for (const [k, v] of map.drain({ batchSize: 128 })) {
            expect(seen.has(k)).toBe(false);
            seen.set(k, v);
          }
          rounds++;
          await new Promise((r) => setImmediate(r));
        }
        await done;
      } finally {
        await worker.terminate();
      }
      for (const [k, v] of map.drain()) seen.set(k, v);
      expect(rounds).toBeGreaterThan(1);
      expect(seen.size).toBe(total);
      expect([...seen].every(([k, v]) => v === BigInt(k) * 3n)).toBe(true);
    });
  },
);
