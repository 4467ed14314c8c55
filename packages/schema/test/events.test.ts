/**
 * Event declarations: what ringbuf, perfEventArray, tagged and a struct's
 * tail accept, the spec the runtime decodes with, and the errors that name
 * what is wrong.
 */
import { describe, expect, it } from 'vitest';
import {
  arrayOf,
  bytes,
  catalog,
  chars,
  enumType,
  eventSpec,
  hash,
  perfEventArray,
  ringbuf,
  SchemaError,
  spinLock,
  struct,
  tagged,
  u16,
  u32,
  u64,
  u8,
} from '../src/index.js';
import { error } from './errors.js';

const Kind = enumType('Kind', { EXEC: 1, EXIT: 2 });
const Exec = struct(
  'Exec',
  { kind: Kind, pid: u32, argsSize: u16, args: bytes(32) },
  { tail: { field: 'args', length: 'argsSize' } },
);
const Exit = struct('Exit', { kind: Kind, pid: u32, code: u32 });
const Tick = struct('Tick', { seq: u64 });

describe('event specs', () => {
  it('one struct: its size, its fixed part, no tag', () => {
    const { spec } = eventSpec('map ticks', Tick);
    expect(spec.tag).toBeUndefined();
    expect(spec.variants).toMatchObject([{ name: 'Tick', cName: 'tick', size: 8, fixed: 8 }]);
  });

  it('tagged structs: where the tag is, each variant with its value, the tail and its length', () => {
    const { spec } = eventSpec('map procs', tagged('kind', { EXEC: Exec, EXIT: Exit }));
    expect(spec.tag).toEqual({ field: 'kind', offset: 0, size: 4, signed: false });
    expect(spec.variants).toMatchObject([
      {
        name: 'Exec',
        tag: 1,
        size: 44, // 42, padded to its alignment
        fixed: 10,
        tail: { field: 'args', offset: 10, elementSize: 1, length: { offset: 8, size: 2 } },
      },
      { name: 'Exit', tag: 2, size: 12, fixed: 12 },
    ]);
  });

  it('a tail of wider elements counts in elements of its size', () => {
    const Samples = struct(
      'Samples',
      { n: u8, values: arrayOf(u32, 8) },
      { tail: { field: 'values' } },
    );
    expect(eventSpec('map samples', Samples).spec.variants[0]).toMatchObject({
      fixed: 4,
      tail: { offset: 4, elementSize: 4 },
    });
  });

  it('a ring buffer carries its drop counter; a perf event array one per CPU', () => {
    const ring = ringbuf('events', { event: Tick, size: 8192 });
    expect(ring.maxEntries).toBe(8192);
    expect(ring.companions.drops?.name).toBe('events_drops');
    const perf = perfEventArray('perf_events_abc', { event: Tick });
    expect(perf.maxEntries).toBe(0);
    // A companion may pass the kernel's 15 characters: only its own name is cut by it.
    expect(perf.companions.drops?.name).toBe('perf_events_abc_drops');
  });
});

describe('event errors name what is wrong', () => {
  it.each([
    [0, 'received 0'],
    [4095, 'received 4095'],
    [12288, 'received 12288'],
    [2 ** 32, 'received 4294967296'],
    [undefined, 'received undefined'],
  ])('ring size %s', (size, received) => {
    const e = error(() => ringbuf('events', { event: Tick, size: size as number }));
    expect(e.path).toBe('map events.size');
    expect(e.message).toContain('a power of two of at least 4096 bytes');
    expect(e.message).toContain(received);
  });

  it('an event that is not a struct', () => {
    const e = error(() => ringbuf('events', { event: u32 as never, size: 4096 }));
    expect(e.path).toMatch(/events/);
    expect(e.message).toMatch(/event/);
  });

  it('a missing event', () => {
    const e = error(() => perfEventArray('events', {} as never));
    expect(e.path).toMatch(/events/);
    expect(e.message).toMatch(/event/);
  });

  it('a variant that does not start with the tag', () => {
    const NoTag = struct('NoTag', { pid: u32, kind: Kind });
    const e = error(() => tagged('kind', { EXEC: Exec, EXIT: NoTag }));
    expect(e.path).toBe('NoTag.kind');
    expect(e.message).toContain("NoTag's first field must be kind, an enum");
  });

  it('a tag that is not an enum', () => {
    const Plain = struct('Plain', { kind: u32 });
    expect(error(() => tagged('kind', { EXEC: Plain })).path).toBe('Plain.kind');
  });

  it('variants tagged by different enums', () => {
    const Other = enumType('Other', { EXIT: 2 });
    const Odd = struct('Odd', { kind: Other, pid: u32 });
    const e = error(() => tagged('kind', { EXEC: Exec, EXIT: Odd }));
    expect(e.message).toContain('the tag is Other here but Kind in another variant');
  });

  it('a variant named by no member of the enum', () => {
    const e = error(() => tagged('kind', { EXEC: Exec, FORK: Exit }));
    expect(e.path).toBe('tagged("kind").FORK');
    expect(e.message).toContain('FORK is not a member of Kind (EXEC, EXIT)');
  });

  it('no variants, or a variant that is not a struct', () => {
    expect(error(() => tagged('kind', {})).message).toContain('name at least one variant');
    expect(error(() => tagged('kind', { EXEC: u32 as never })).path).toBe('tagged("kind").EXEC');
  });

  it('a tail that is not the last field', () => {
    const e = error(() =>
      struct('T', { args: bytes(8), n: u32 }, { tail: { field: 'args', length: 'n' } }),
    );
    expect(e.path).toBe('T.tail');
    expect(e.message).toContain("must be the struct's last field (n)");
  });

  it('a tail naming no field', () => {
    const e = error(() => struct('T', { n: u32, data: bytes(8) }, { tail: { field: 'dat' } }));
    expect(e.path).toBe('T.tail');
    expect(e.message).toBe(
      'T.tail: the tail "dat" is not a field of T (its fields: n, data). Name its last field, data',
    );
  });

  it('an event larger than its ring buffer', () => {
    const Big = struct('Big', { a: u32, b: bytes(8192) });
    const e = error(() => ringbuf('big', { event: Big, size: 4096 }));
    expect(e.path).toBe('map big.size');
    expect(e.message).toContain(
      'event Big takes 8204 bytes in the ring (8196 and an 8-byte header), more than its 4096: every reserve would fail',
    );
    expect(e.message).toContain('at least 16384');
    // The largest that fits: 4096 less the header.
    expect(() =>
      ringbuf('fits', { event: struct('Fits', { b: bytes(4088) }), size: 4096 }),
    ).not.toThrow();
  });

  it('a spin lock in an event', () => {
    const e = error(() =>
      ringbuf('locked', { event: struct('Locked', { a: u32, lock: spinLock }), size: 4096 }),
    );
    expect(e.path).toBe('map locked.event.Locked.lock');
    expect(e.message).toContain('an event cannot hold a spinLock');
  });

  it('a tail of something without elements', () => {
    const e = error(() => struct('T', { n: u32, rest: u64 }, { tail: { field: 'rest' } }));
    expect(e.path).toBe('T.rest');
    expect(e.message).toContain('cannot be a variable-length tail');
  });

  it.each([
    ['a field that does not exist', 'missing'],
    ['the tail itself', 'args'],
    ['a field that is not an integer', 'name'],
  ])('a tail length naming %s', (_, length) => {
    const e = error(() =>
      struct('T', { name: chars(4), n: u32, args: bytes(8) }, { tail: { field: 'args', length } }),
    );
    expect(e.path).toBe('T.tail.length');
    expect(e.message).toContain(
      "the tail's length must be a host-order integer field before the tail",
    );
  });

  it('an event struct name taken by another type of the schema', () => {
    const Again = struct('Tick', { other: u32 });
    const e = error(() =>
      catalog(
        {
          ticks: ringbuf('ticks', { event: Tick, size: 4096 }),
          other: hash('other', { key: u32, value: Again, maxEntries: 1 }),
        },
        's.ts',
      ),
    );
    expect(e.code).toBe('CONFLICTING_STRUCT');
    expect(e.message).toContain('Tick');
  });

  it("a map named like another map's drop counter", () => {
    const e = error(() =>
      catalog(
        {
          ticks: ringbuf('ticks', { event: Tick, size: 4096 }),
          clash: hash('ticks_drops', { key: u32, value: u64, maxEntries: 1 }),
        },
        's.ts',
      ),
    );
    expect(e.code).toBe('DUPLICATE_NAME');
    expect(e.message).toContain('ticks_drops');
  });
});
