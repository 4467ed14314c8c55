/**
 * Every operation on every keyed map kind, from one table: each row is an
 * operation run on a fresh map holding keys 0 and 1, each column a kind,
 * each cell the result or the precise error code (or "absent": the kind's
 * accessor does not offer the operation at all).
 */
import {
  array,
  arrayOfMaps,
  hash,
  ipv4,
  lpmTrie,
  lruHash,
  lruPercpuHash,
  MAP_KINDS,
  mapFlags,
  pad,
  percpuArray,
  percpuHash,
  progArray,
  spinLock,
  struct,
  u16,
  u32,
  u64,
  u8,
  type MapDecl,
} from '@bpfmaps/schema';
import { describeWith } from '@bpfmaps/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BpfError,
  createMap,
  HashMap,
  mapFromSchema,
  possibleCpus,
  referenceCodec,
  type KeyedMap,
} from '../src/index.js';
import { Handles, readsNaturally, thrown } from './helpers.js';

const Key = struct('Key', { id: u32, port: u16 });
const Val = struct('Val', { n: u64, tag: u8 });
const Prefix = struct('Prefix', { prefixlen: u32, addr: ipv4 });
const MAX = 4;

type Value = { n: bigint; tag: number };
const val = (i: number): Value => ({ n: BigInt(i) * 10n, tag: i });
const zero: Value = { n: 0n, tag: 0 };

interface Kind {
  decl: MapDecl;
  key: (i: number) => unknown;
  /** The stored form of a value: per-CPU maps keep one copy per CPU. */
  stored: (v: Value) => unknown;
}

const cpus = () => possibleCpus();
const everyCpu = (v: Value) => Array.from({ length: cpus() }, () => v);
const byId = (i: number) => ({ id: i, port: 1000 + i });
const byIndex = (i: number) => i;
const byPrefix = (i: number) => ({ prefixlen: 32, addr: `10.0.0.${i}` });
const plain = (v: Value) => v;

const KINDS: Record<string, Kind> = {
  hash: {
    decl: hash('t_hash', { key: Key, value: Val, maxEntries: MAX }),
    key: byId,
    stored: plain,
  },
  lruHash: {
    decl: lruHash('t_lru', { key: Key, value: Val, maxEntries: MAX }),
    key: byId,
    stored: plain,
  },
  array: { decl: array('t_array', { value: Val, maxEntries: MAX }), key: byIndex, stored: plain },
  percpuHash: {
    decl: percpuHash('t_pchash', { key: Key, value: Val, maxEntries: MAX }),
    key: byId,
    stored: everyCpu,
  },
  lruPercpuHash: {
    decl: lruPercpuHash('t_lpchash', { key: Key, value: Val, maxEntries: MAX }),
    key: byId,
    stored: everyCpu,
  },
  percpuArray: {
    decl: percpuArray('t_pcarray', { value: Val, maxEntries: MAX }),
    key: byIndex,
    stored: everyCpu,
  },
  lpmTrie: {
    decl: lpmTrie('t_lpm', {
      key: Prefix,
      value: Val,
      maxEntries: MAX,
      flags: mapFlags.noPrealloc,
    }),
    key: byPrefix,
    stored: plain,
  },
};
type KindName = keyof typeof KINDS;

/** What an operation returned, in a form the table spells: a value, or { code }. */
type Outcome = unknown;
/** The map under test (any keyed accessor) and its kind's key and value makers. */
interface Ctx {
  // Any keyed accessor: the table calls methods some kinds do not have (outcome() checks first).
  map: KeyedMap<unknown, unknown> & { [method: string]: any };
  k: (i: number) => unknown;
  v: (i: number) => unknown;
  z: unknown;
  stored: (v: Value) => unknown;
}

const ABSENT = { absent: true };
const code = (c: BpfError['code']) => ({ code: c });

/** Runs `op`; a thrown BpfError becomes { code }, a method the accessor lacks becomes ABSENT. */
function outcome(ctx: Ctx, method: string, op: () => unknown): Outcome {
  if (typeof ctx.map[method] !== 'function') return ABSENT;
  try {
    return op();
  } catch (e) {
    if (e instanceof BpfError) return code(readsNaturally(e).code);
    throw e;
  }
}

const sortBy = (xs: unknown[]) =>
  [...xs].sort((a, b) => JSON.stringify(a, big).localeCompare(JSON.stringify(b, big)));
function big(_k: string, v: unknown) {
  return typeof v === 'bigint' ? `${v}n` : v;
}

/** The rows: operation name -> how to run it, and what each kind gives. */
const ROWS: {
  op: string;
  run: (c: Ctx) => Outcome;
  expect: (c: Ctx) => Record<KindName, Outcome>;
}[] = [
  {
    op: 'get a present key',
    run: (c) => outcome(c, 'get', () => c.map.get(c.k(1))),
    expect: (c) => same(c.v(1)),
  },
  {
    op: 'get a key never set',
    run: (c) => outcome(c, 'get', () => c.map.get(c.k(2))),
    // Array elements always exist, zeroed; an index past the end is absent.
    expect: (c) => ({ ...same(undefined), array: c.z, percpuArray: c.z }),
  },
  {
    op: 'get a key never set, or an index past the end',
    run: (c) => outcome(c, 'get', () => c.map.get(c.k(MAX))),
    expect: () => ({ ...same(undefined), ...arraysGive(code('OUT_OF_RANGE')) }),
  },
  {
    op: 'has',
    run: (c) => outcome(c, 'has', () => [c.map.has(c.k(1)), c.map.has(c.k(2))]),
    expect: () => ({ ...same([true, false]), ...arraysGive([true, true]) }),
  },
  {
    op: 'has an index past the end',
    run: (c) => outcome(c, 'has', () => c.map.has(c.k(MAX))),
    expect: () => ({ ...same(false), ...arraysGive(code('OUT_OF_RANGE')) }),
  },
  {
    op: 'update a key never set, or an index past the end',
    run: (c) => outcome(c, 'update', () => c.map.update(c.k(MAX), (v) => v ?? c.v(MAX))),
    expect: (c) => ({
      ...same(c.v(MAX)),
      ...arraysGive(code('OUT_OF_RANGE')),
      lpmTrie: code('NOT_SUPPORTED'),
    }),
  },
  {
    op: 'setMany with an index past the end writes nothing',
    run: (c) => [
      outcome(c, 'setMany', () =>
        c.map.setMany([
          [c.k(2), c.v(2)],
          [c.k(MAX), c.v(MAX)],
        ]),
      ),
      c.map.get(c.k(2)),
    ],
    expect: (c) => ({
      ...same([undefined, c.v(2)]),
      ...arraysGive([code('OUT_OF_RANGE'), c.z]),
    }),
  },
  {
    op: 'getReduced and setAll past the end (per-CPU)',
    run: (c) => [
      outcome(c, 'getReduced', () => (c.map.getReduced as (k: unknown) => unknown)(c.k(MAX))),
      outcome(c, 'setAll', () =>
        (c.map.setAll as (k: unknown, v: Value) => void)(c.k(MAX + 1), val(3)),
      ),
    ],
    expect: () => ({
      ...same([ABSENT, ABSENT]),
      percpuHash: [undefined, undefined],
      lruPercpuHash: [undefined, undefined],
      percpuArray: [code('OUT_OF_RANGE'), code('OUT_OF_RANGE')],
    }),
  },
  {
    op: "set 'any' then get",
    run: (c) => outcome(c, 'set', () => (c.map.set(c.k(2), c.v(2)), c.map.get(c.k(2)))),
    expect: (c) => same(c.v(2)),
  },
  {
    op: "set 'noexist' on a present key",
    run: (c) => outcome(c, 'set', () => c.map.set(c.k(1), c.v(9), 'noexist')),
    expect: () => same(code('KEY_EXISTS')),
  },
  {
    op: "set 'exist' on a key never set",
    run: (c) => outcome(c, 'set', () => (c.map.set(c.k(2), c.v(2), 'exist'), c.map.get(c.k(2)))),
    expect: (c) => ({ ...same(code('KEY_NOT_FOUND')), array: c.v(2), percpuArray: c.v(2) }),
  },
  {
    op: "set 'lock' on a value without a spin lock",
    run: (c) => outcome(c, 'set', () => c.map.set(c.k(1), c.v(2), 'lock')),
    expect: () => same(code('INVALID')),
  },
  {
    op: 'set with a mode that does not exist',
    run: (c) => outcome(c, 'set', () => c.map.set(c.k(1), c.v(2), 'sometimes' as never)),
    expect: () => same(code('INVALID')),
  },
  {
    op: 'set a new key into a full map (or past the end of an array)',
    run: (c) =>
      outcome(c, 'set', () => {
        for (let i = 2; i < MAX; i++) c.map.set(c.k(i), c.v(i));
        c.map.set(c.k(MAX), c.v(MAX));
        return c.map.count();
      }),
    // LRU maps evict instead.
    expect: () => ({
      ...same(code('MAP_FULL')),
      lruHash: MAX,
      lruPercpuHash: MAX,
      array: code('OUT_OF_RANGE'),
      percpuArray: code('OUT_OF_RANGE'),
    }),
  },
  {
    op: 'delete a present key, then again',
    run: (c) =>
      outcome(c, 'delete', () => [c.map.delete(c.k(1)), c.map.delete(c.k(1)), c.map.has(c.k(1))]),
    expect: () => ({ ...same([true, false, false]), array: ABSENT, percpuArray: ABSENT }),
  },
  {
    op: 'getAndDelete',
    run: (c) =>
      outcome(c, 'getAndDelete', () => [c.map.getAndDelete(c.k(1)), c.map.getAndDelete(c.k(1))]),
    expect: (c) => ({
      ...same([c.v(1), undefined]),
      array: ABSENT,
      percpuArray: ABSENT,
      lpmTrie: ABSENT,
    }),
  },
  {
    op: 'update: read, modify, write back',
    run: (c) => outcome(c, 'update', () => [c.map.update(c.k(1), () => c.v(5)), c.map.get(c.k(1))]),
    expect: (c) => ({ ...same([c.v(5), c.v(5)]), lpmTrie: code('NOT_SUPPORTED') }),
  },
  {
    op: 'update returning undefined: deletes, or is refused where elements always exist',
    run: (c) =>
      outcome(c, 'update', () => [c.map.update(c.k(1), () => undefined), c.map.has(c.k(1))]),
    expect: () => ({
      ...same([undefined, false]),
      array: code('INVALID'),
      percpuArray: code('INVALID'),
      lpmTrie: code('NOT_SUPPORTED'),
    }),
  },
  {
    op: 'getMany',
    run: (c) => outcome(c, 'getMany', () => c.map.getMany([c.k(0), c.k(1), c.k(MAX)])),
    expect: (c) => ({
      ...same([c.v(0), c.v(1), undefined]),
      ...arraysGive(code('OUT_OF_RANGE')),
    }),
  },
  {
    op: 'hasMany',
    run: (c) => outcome(c, 'hasMany', () => c.map.hasMany([c.k(0), c.k(1), c.k(2), c.k(1)])),
    expect: () => ({ ...same([true, true, false, true]), ...arraysGive([true, true, true, true]) }),
  },
  {
    op: 'add and addMany: in place, inserting a key never set',
    run: (c) =>
      outcome(c, 'add', () => {
        c.map.add(c.k(1), { n: 5 });
        c.map.addMany([
          [c.k(2), { n: 1n }],
          [c.k(1), { n: -2 }],
        ]);
        return [c.map.get(c.k(1)), c.map.get(c.k(2))];
      }),
    expect: () => ({
      ...same([
        { n: 13n, tag: 1 },
        { n: 1n, tag: 0 },
      ]),
      ...perCpuGive(code('NOT_SUPPORTED')),
      lpmTrie: code('NOT_SUPPORTED'),
    }),
  },
  {
    op: 'add to a field that is no 4- or 8-byte integer changes nothing',
    run: (c) => [outcome(c, 'add', () => c.map.add(c.k(1), { tag: 1 })), c.map.get(c.k(1))],
    expect: (c) => ({
      ...same([code('INVALID'), c.v(1)]),
      ...perCpuGive([code('NOT_SUPPORTED'), c.v(1)]),
      lpmTrie: [code('NOT_SUPPORTED'), c.v(1)],
    }),
  },
  {
    op: 'add past the end of an array',
    run: (c) => outcome(c, 'add', () => c.map.add(c.k(MAX), { n: 1 })),
    expect: () => ({
      ...same(undefined),
      ...perCpuGive(code('NOT_SUPPORTED')),
      array: code('OUT_OF_RANGE'),
      lpmTrie: code('NOT_SUPPORTED'),
    }),
  },
  {
    op: 'compareAndSwap',
    run: (c) =>
      outcome(c, 'compareAndSwap', () => [
        swap(c)(c.k(1), 'n', 10n, 11n),
        swap(c)(c.k(1), 'n', 10n, 12n),
        c.map.get(c.k(1)),
      ]),
    expect: () => ({
      ...same([
        { swapped: true, previous: 10n },
        { swapped: false, previous: 11n },
        { n: 11n, tag: 1 },
      ]),
      ...perCpuGive(code('NOT_SUPPORTED')),
      lpmTrie: code('NOT_SUPPORTED'),
    }),
  },
  {
    op: 'compareAndSwap on a key never set',
    run: (c) => outcome(c, 'compareAndSwap', () => swap(c)(c.k(2), 'n', 0, 1)),
    expect: () => ({
      ...same(code('KEY_NOT_FOUND')),
      ...perCpuGive(code('NOT_SUPPORTED')),
      array: { swapped: true, previous: 0n },
      lpmTrie: code('NOT_SUPPORTED'),
    }),
  },
  {
    op: 'drain takes every entry out',
    run: (c) => outcome(c, 'drain', () => [sortBy([...c.map.drain()]), c.map.count()]),
    expect: (c) => ({
      ...same([
        sortBy([
          [c.k(0), c.v(0)],
          [c.k(1), c.v(1)],
        ]),
        0,
      ]),
      array: ABSENT,
      percpuArray: ABSENT,
      lpmTrie: code('NOT_SUPPORTED'),
    }),
  },
  {
    op: "setMany 'any'",
    run: (c) =>
      outcome(
        c,
        'setMany',
        () => (
          c.map.setMany([
            [c.k(2), c.v(2)],
            [c.k(3), c.v(3)],
          ]),
          c.map.getMany([c.k(2), c.k(3)])
        ),
      ),
    expect: (c) => same([c.v(2), c.v(3)]),
  },
  {
    op: "setMany 'noexist' with one present key: the entries before it are written",
    run: (c) =>
      outcome(c, 'setMany', () =>
        c.map.setMany(
          [
            [c.k(2), c.v(2)],
            [c.k(1), c.v(9)],
            [c.k(3), c.v(3)],
          ],
          'noexist',
        ),
      ),
    expect: () => same(code('KEY_EXISTS')),
  },
  {
    op: "setMany 'exist' on present keys",
    run: (c) =>
      outcome(
        c,
        'setMany',
        () => (
          c.map.setMany(
            [
              [c.k(0), c.v(7)],
              [c.k(1), c.v(8)],
            ],
            'exist',
          ),
          c.map.getMany([c.k(0), c.k(1)])
        ),
      ),
    expect: (c) => same([c.v(7), c.v(8)]),
  },
  {
    op: "setMany 'exist' with a key never set",
    run: (c) =>
      outcome(c, 'setMany', () =>
        c.map.setMany(
          [
            [c.k(0), c.v(7)],
            [c.k(2), c.v(8)],
          ],
          'exist',
        ),
      ),
    expect: () => ({ ...same(code('KEY_NOT_FOUND')), array: undefined, percpuArray: undefined }),
  },
  {
    op: 'setMany with something not iterable',
    run: (c) => outcome(c, 'setMany', () => c.map.setMany(42 as never)),
    expect: () => same(code('INVALID')),
  },
  {
    op: 'deleteMany counts the keys that were there',
    run: (c) =>
      outcome(c, 'deleteMany', () => [c.map.deleteMany([c.k(0), c.k(2), c.k(1)]), c.map.count()]),
    expect: () => ({ ...same([2, 0]), array: ABSENT, percpuArray: ABSENT }),
  },
  {
    op: 'entries by batch',
    run: (c) =>
      outcome(c, 'entries', () => sortBy([...c.map.entries({ mode: 'batch', batchSize: 1 })])),
    expect: (c) => ({
      ...same(
        sortBy([
          [c.k(0), c.v(0)],
          [c.k(1), c.v(1)],
        ]),
      ),
      ...arrays(c, (i) => [c.k(i), i < 2 ? c.v(i) : c.z]),
    }),
  },
  {
    op: 'entries by next-key',
    run: (c) => outcome(c, 'entries', () => sortBy([...c.map.entries({ mode: 'next-key' })])),
    expect: (c) => ({
      ...same(
        sortBy([
          [c.k(0), c.v(0)],
          [c.k(1), c.v(1)],
        ]),
      ),
      ...arrays(c, (i) => [c.k(i), i < 2 ? c.v(i) : c.z]),
    }),
  },
  {
    op: 'keys and values',
    run: (c) => outcome(c, 'keys', () => [sortBy([...c.map.keys()]), sortBy([...c.map.values()])]),
    expect: (c) => ({
      ...same([sortBy([c.k(0), c.k(1)]), sortBy([c.v(0), c.v(1)])]),
      ...arraysOf(c),
    }),
  },
  {
    op: 'count',
    run: (c) => outcome(c, 'count', () => c.map.count()),
    expect: () => ({ ...same(2), array: MAX, percpuArray: MAX }),
  },
  {
    op: 'clear: deletes, or zeroes an array',
    run: (c) => outcome(c, 'clear', () => [c.map.clear(), c.map.get(c.k(1)), c.map.count()]),
    expect: (c) => ({
      ...same([2, undefined, 0]),
      array: [MAX, c.z, MAX],
      percpuArray: [MAX, c.z, MAX],
    }),
  },
  {
    op: 'getReduced and setAll (per-CPU)',
    run: (c) =>
      outcome(
        c,
        'getReduced',
        () =>
          (c.map.setAll as (k: unknown, v: Value) => void)(c.k(1), val(3)) ??
          (c.map.getReduced as (k: unknown) => unknown)(c.k(1)),
      ),
    expect: () => ({
      ...same(ABSENT),
      percpuHash: reducedTimesCpus(3),
      lruPercpuHash: reducedTimesCpus(3),
      percpuArray: reducedTimesCpus(3),
    }),
  },
  {
    op: 'a bad value throws before the syscall and changes nothing',
    run: (c) => {
      try {
        c.map.set(c.k(1), c.stored({ n: -1n, tag: 0 }));
        return 'stored';
      } catch (e) {
        return [(e as Error).name, c.map.get(c.k(1))];
      }
    },
    expect: (c) => same(['EncodeError', c.v(1)]),
  },
  {
    op: 'any operation after close',
    run: (c) => {
      c.map.close();
      return ['get', 'set', 'count'].map((m) =>
        outcome(c, m, () =>
          m === 'set' ? c.map.set(c.k(1), c.v(1)) : m === 'get' ? c.map.get(c.k(1)) : c.map.count(),
        ),
      );
    },
    expect: () => same([code('CLOSED'), code('CLOSED'), code('CLOSED')]),
  },
];

/** Every kind gives `value`. */
function same(value: Outcome): Record<KindName, Outcome> {
  return Object.fromEntries(Object.keys(KINDS).map((k) => [k, value])) as Record<KindName, Outcome>;
}

/** compareAndSwap, whose field names the table's untyped maps cannot type. */
const swap = (c: Ctx) => c.map.compareAndSwap.bind(c.map) as (...args: unknown[]) => unknown;

/** What the per-CPU kinds give. */
function perCpuGive(value: Outcome): Partial<Record<KindName, Outcome>> {
  return { percpuHash: value, lruPercpuHash: value, percpuArray: value };
}

/** What the array kinds give. */
function arraysGive(value: Outcome): Partial<Record<KindName, Outcome>> {
  return { array: value, percpuArray: value };
}

/** For the array kinds: every index 0..MAX-1 is an entry. */
function arrays(c: Ctx, entry: (i: number) => unknown): Partial<Record<KindName, Outcome>> {
  const all = sortBy(Array.from({ length: MAX }, (_, i) => entry(i)));
  return { array: all, percpuArray: all };
}

function arraysOf(c: Ctx): Partial<Record<KindName, Outcome>> {
  const keys = sortBy(Array.from({ length: MAX }, (_, i) => c.k(i)));
  const values = sortBy(Array.from({ length: MAX }, (_, i) => (i < 2 ? c.v(i) : c.z)));
  return { array: [keys, values], percpuArray: [keys, values] };
}

function reducedTimesCpus(i: number): Value {
  return { n: val(i).n * BigInt(cpus()), tag: i * cpus() };
}

const handles = new Handles();
afterEach(() => handles.closeAll());

describeWith(['bpf'], 'every operation on every keyed map kind', () => {
  describe.each(ROWS)('$op', ({ run, expect: expected }) => {
    it.each(Object.keys(KINDS))('%s', (name) => {
      const kind = KINDS[name]!;
      const map = handles.add(mapFromSchema(kind.decl)) as unknown as Ctx['map'];
      const c: Ctx = {
        map,
        k: kind.key,
        v: (i) => kind.stored(val(i)),
        z: kind.stored(zero),
        stored: kind.stored,
      };
      c.map.set(c.k(0), c.v(0));
      c.map.set(c.k(1), c.v(1));
      const cells = expected(c);
      expect(Object.keys(cells).sort()).toEqual(Object.keys(KINDS).sort());
      expect(run(c)).toEqual(cells[name as KindName]);
    });
  });
});

describeWith(['bpf'], 'what the table cannot show', () => {
  it("setMany 'noexist' says how many entries were written, and they were", () => {
    const map = handles.add(mapFromSchema(KINDS.hash!.decl)) as unknown as Ctx['map'];
    map.set(byId(1), val(1));
    const e = thrown(() =>
      map.setMany(
        [
          [byId(2), val(2)],
          [byId(1), val(9)],
          [byId(3), val(3)],
        ],
        'noexist',
      ),
    );
    expect(e.code).toBe('KEY_EXISTS');
    expect(e.message).toContain('1 of 3 entries were written');
    expect(map.getMany([byId(1), byId(2), byId(3)])).toEqual([val(1), val(2), undefined]);
  });

  it("'lock' on a value without a spinLock is refused before any syscall, naming the map and the fix", () => {
    const map = handles.add(mapFromSchema(KINDS.hash!.decl)) as unknown as Ctx['map'];
    map.set(byId(1), val(1));
    const fix = (how: string, instead: string) =>
      `the value has no spinLock for ${how} (BPF_F_LOCK) to take; add a spinLock field to the value struct (struct('Value', { lock: spinLock, ... })), regenerate, and take the lock in the BPF program too, or ${instead}`;
    const set = thrown(() => map.set(byId(1), val(2), 'lock'));
    expect([set.code, set.errno]).toEqual(['INVALID', undefined]);
    expect(set.message).toBe(`set t_hash: ${fix("mode 'lock'", "use mode 'any'")}`);
    const many = thrown(() => map.setMany([[byId(2), val(2)]], 'lock'));
    expect([many.code, many.errno]).toEqual(['INVALID', undefined]);
    expect(many.message).toBe(`setMany t_hash: ${fix("mode 'lock'", "use mode 'any'")}`);
    let called = false;
    const update = thrown(() =>
      map.update(byId(1), () => ((called = true), val(3)), { lock: true }),
    );
    expect([update.code, update.errno, called]).toEqual(['INVALID', undefined, false]);
    expect(update.message).toBe(`update t_hash: ${fix('{ lock: true }', 'update without it')}`);
    expect(map.getMany([byId(1), byId(2)])).toEqual([val(1), undefined]);
  });

  it("'lock' works on maps created from user space (they carry BTF); without BTF it is refused", () => {
    const Locked = struct('Locked', { lock: spinLock, pad: pad(4), n: u64 });
    const decl = hash('t_lock', { key: u32, value: Locked, maxEntries: 4 });
    const map = handles.add(mapFromSchema(decl));
    map.set(1, { n: 1n }, 'lock');
    map.update(1, (v) => ({ n: v!.n + 1n }), { lock: true });
    expect(map.get(1)).toEqual({ n: 2n });
    // A spec without the value's type (hand-written, say) creates a map without BTF.
    const bare = handles.add(
      createMap(
        HashMap,
        { ...decl.spec, name: 't_nobtf', valueType: undefined },
        referenceCodec(u32),
        referenceCodec(Locked),
      ),
    );
    bare.set(1, { n: 1n });
    const e = thrown(() => bare.set(1, { n: 2n }, 'lock'));
    expect([e.code, e.errno]).toEqual(['INVALID', undefined]);
    expect(e.message).toBe(
      "set t_nobtf: the map carries no BTF for its value, so the kernel cannot find the spinLock for mode 'lock' (BPF_F_LOCK) to take (a BPF object needs clang -g; a spec without valueType creates a map without BTF); use mode 'lock' on a map with BTF, or use mode 'any'",
    );
    const u = thrown(() => bare.update(1, (v) => v, { lock: true }));
    expect([u.code, u.errno]).toEqual(['INVALID', undefined]);
    expect(u.message).toContain('update t_nobtf: the map carries no BTF for its value');
    expect(bare.get(1)).toEqual({ n: 1n });
  });

  it('a batch refused before it starts says nothing was written', () => {
    // The kernel checks write access before the batch: a map user space may only read.
    const decl = hash('t_ro', { key: Key, value: Val, maxEntries: MAX, flags: mapFlags.rdonly });
    const map = handles.add(mapFromSchema(decl)) as unknown as Ctx['map'];
    const e = thrown(() =>
      map.setMany([
        [byId(2), val(2)],
        [byId(3), val(3)],
      ]),
    );
    expect([e.code, e.errno]).toEqual(['PERMISSION', 1]);
    expect(e.message).toContain('0 of 2 entries were written');
    expect(map.count()).toBe(0);
  });

  it('an index past the end is OUT_OF_RANGE on every index-keyed kind, for every operation, naming map, index and size', () => {
    const inner = hash('t_inner', { key: u32, value: u64, maxEntries: 4 });
    // Each kind whose keys are fixed indexes, and every operation its accessor takes an index in.
    const kinds: Record<string, { decl: MapDecl; ops: (m: any) => Record<string, () => unknown> }> =
      {
        array: {
          decl: array('t_array', { value: Val, maxEntries: MAX, flags: mapFlags.mmapable }),
          ops: (m) => ({
            get: () => m.get(MAX),
            has: () => m.has(MAX),
            set: () => m.set(MAX, val(1)),
            update: () => m.update(MAX, (v: Value) => v),
            getMany: () => m.getMany([0, MAX]),
            setMany: () => m.setMany([[MAX, val(1)]]),
            mmap: () => m.mmap().get(MAX),
          }),
        },
        percpuArray: {
          decl: percpuArray('t_pcarray', { value: Val, maxEntries: MAX }),
          ops: (m) => ({
            get: () => m.get(MAX),
            has: () => m.has(MAX),
            set: () => m.set(MAX, everyCpu(val(1))),
            update: () => m.update(MAX, (v: Value[]) => v),
            getReduced: () => m.getReduced(MAX),
            setAll: () => m.setAll(MAX, val(1)),
          }),
        },
        progArray: {
          decl: progArray('t_jumps', { maxEntries: MAX }),
          ops: (m) => ({ get: () => m.get(MAX), delete: () => m.delete(MAX) }),
        },
        arrayOfMaps: {
          decl: arrayOfMaps('t_aom', { inner, maxEntries: MAX }),
          ops: (m) => ({
            get: () => m.get(MAX),
            id: () => m.id(MAX),
            set: () => m.set(MAX, handles.add(mapFromSchema(inner))),
            delete: () => m.delete(MAX),
          }),
        },
      };
    // The operations some calls are made of, as their errors name them.
    const SAID: Record<string, string> = {
      getReduced: 'get',
      setAll: 'set',
      id: 'get',
    };
    const indexed = Object.values(MAP_KINDS)
      .filter((k) => k.fixedKeys)
      .map((k) => k.name);
    expect(Object.keys(kinds).sort()).toEqual(indexed.sort());
    for (const { decl, ops } of Object.values(kinds)) {
      const map = handles.add(mapFromSchema(decl));
      for (const [op, run] of Object.entries(ops(map))) {
        const e = thrown(run);
        expect([e.code, e.errno, e.key]).toEqual(['OUT_OF_RANGE', undefined, MAX]);
        const name = decl.spec.name;
        expect(e.message).toBe(
          `${SAID[op] ?? op} ${name} for key ${MAX}: index ${MAX} is out of range: ${name} has ${MAX} entries, 0..${MAX - 1}`,
        );
      }
    }
  });
});
