import { bloomFilter, queue, stack, struct, u32, u64 } from '@bpfmaps/schema';
import { describeWith } from '@bpfmaps/testing';
import { afterEach, expect, it } from 'vitest';
import { mapFromSchema } from '../src/index.js';
import { Handles, thrown } from './helpers.js';

const Event = struct('Event', { pid: u32, ts: u64 });
const ev = (i: number) => ({ pid: i, ts: BigInt(i) * 1000n });
const handles = new Handles();
afterEach(() => handles.closeAll());

describeWith(['bpf'], 'queue, stack and bloom filter maps on the real kernel', () => {
  it('a queue pops in FIFO order; peek does not remove', () => {
    const q = handles.add(mapFromSchema(queue('t_queue', { value: Event, maxEntries: 4 })));
    expect(q.pop()).toBeUndefined();
    for (const i of [1, 2, 3]) q.push(ev(i));
    expect(q.peek()).toEqual(ev(1));
    expect([q.pop(), q.pop(), q.pop(), q.pop()]).toEqual([ev(1), ev(2), ev(3), undefined]);
  });

  it('a stack pops in LIFO order', () => {
    const s = handles.add(mapFromSchema(stack('t_stack', { value: u32, maxEntries: 4 })));
    for (const i of [1, 2, 3]) s.push(i);
    expect(s.peek()).toBe(3);
    expect([s.pop(), s.pop(), s.pop(), s.pop()]).toEqual([3, 2, 1, undefined]);
  });

  it('a full queue refuses a push, or drops the oldest with overwrite', () => {
    const q = handles.add(mapFromSchema(queue('t_full', { value: u32, maxEntries: 2 })));
    q.push(1);
    q.push(2);
    const full = thrown(() => q.push(3));
    expect(full.code).toBe('MAP_FULL');
    expect(full.message).toContain('pop some, or push with { overwrite: true }');
    q.push(3, { overwrite: true });
    expect([q.pop(), q.pop()]).toEqual([2, 3]);
  });

  it('a bloom filter has every value added, and no false negatives', () => {
    const b = handles.add(
      mapFromSchema(bloomFilter('t_bloom', { value: u32, maxEntries: 1000, hashes: 3 })),
    );
    for (let i = 0; i < 100; i++) b.add(i * 7);
    for (let i = 0; i < 100; i++) expect(b.has(i * 7)).toBe(true);
    const falsePositives = Array.from({ length: 1000 }, (_, i) => 100_000 + i).filter((x) =>
      b.has(x),
    ).length;
    expect(falsePositives).toBeLessThan(100);
    expect(b.raw.info.extra).toBe(3n);
  });

  it('values are checked before the syscall', () => {
    const q = handles.add(mapFromSchema(queue('t_check', { value: Event, maxEntries: 2 })));
    expect(() => q.push({ pid: -1, ts: 0n })).toThrow('Event.pid');
    expect(q.peek()).toBeUndefined();
  });
});
