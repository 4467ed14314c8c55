/**
 * Events end to end: kernel programs built against the generated header
 * emit through its typed helpers (raw tracepoint programs, test-run on a
 * chosen CPU), and the generated module reads them back decoded.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setImmediate as tick } from 'node:timers/promises';
import {
  BpfObject,
  RawMap,
  RingBuffer,
  eventDecoder,
  type BpfError,
  type EventMap,
  type Program,
} from '@bpfmaps/runtime';
import { compileBpf, describeWith } from '@bpfmaps/testing';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { fixtures } from './fixtures.js';

const dir = fixtures.find((f) => f.name === 'events')!.dir;
type Gen = typeof import('./fixtures/events/maps.gen.js');

const PROGRAMS = `#include "maps.h"

/* Each program emits ctx[0] events; seq counts across runs. */
__u64 next_seq;

struct loop { void *ctx; };
#define unused __attribute__((unused))

static long one_tick(__u64 i unused, struct loop *l unused)
{
	struct tick *t = ticks_reserve();

	if (!t)
		return 1;
	t->seq = next_seq++;
	t->cpu = bpf_get_smp_processor_id();
	ticks_submit(t);
	return 0;
}

static long one_tiny(__u64 i unused, struct loop *l unused)
{
	struct tick t = { .seq = next_seq++, .cpu = bpf_get_smp_processor_id() };

	tiny_output(&t);
	return 0;
}

static long one_perf(__u64 i unused, struct loop *l)
{
	struct tick t = { .seq = next_seq++, .cpu = bpf_get_smp_processor_id() };

	perf_ticks_output(l->ctx, &t);
	return 0;
}

SEC("raw_tp")
int tick_burst(__u64 *ctx)
{
	struct loop l = { ctx };

	bpf_loop(ctx[0], one_tick, &l, 0);
	return 0;
}

SEC("raw_tp")
int tiny_burst(__u64 *ctx)
{
	struct loop l = { ctx };

	bpf_loop(ctx[0], one_tiny, &l, 0);
	return 0;
}

SEC("raw_tp")
int perf_burst(__u64 *ctx)
{
	struct loop l = { ctx };

	bpf_loop(ctx[0], one_perf, &l, 0);
	return 0;
}

/* EXEC event i with i bytes of arguments (cut to 64), then an EXIT. */
static long one_proc(__u64 i, struct loop *l unused)
{
	struct exec_event e = { .pid = i, .argsSize = i };
	struct exit_event *x;

	__builtin_memcpy(e.comm, "burst", 6);
	for (int b = 0; b < 64; b++)
		e.args[b] = b + 1;
	procs_output_tail_exec_event(&e, i);
	x = procs_reserve_exit_event();
	if (!x)
		return 1;
	x->pid = i;
	x->code = -(int)i;
	procs_submit(x);
	return 0;
}

SEC("raw_tp")
int procs_burst(__u64 *ctx)
{
	struct loop l = { ctx };

	bpf_loop(ctx[0], one_proc, &l, 0);
	return 0;
}

/* The tail helper sets the length field to what it sends. */
SEC("raw_tp")
int procs_tail(void *ctx unused)
{
	struct exec_event e = { .pid = 5 };

	for (int b = 0; b < 64; b++)
		e.args[b] = b + 1;
	procs_output_tail_exec_event(&e, 10);
	procs_output_tail_exec_event(&e, 1000); /* more than args holds: all 64 */
	return 0;
}

/* Samples no struct fits: to check the decoding rule at its edges. */
SEC("raw_tp")
int procs_odd(void *ctx unused)
{
	struct exec_event e = { .kind = EVENT_KIND_EXEC, .pid = 7, .argsSize = 40 };
	struct exit_event x = { .kind = EVENT_KIND_EXIT, .pid = 8, .code = 1 };
	__u32 unknown[2] = { 9, 0xabcd };

	__builtin_memcpy(e.comm, "odd", 4);
	for (int b = 0; b < 64; b++)
		e.args[b] = b + 1;
	bpf_ringbuf_output(&procs, &e, 3, 0);	/* shorter than the tag: malformed */
	bpf_ringbuf_output(&procs, &e, 20, 0);	/* EXEC short of its fixed part: malformed */
	bpf_ringbuf_output(&procs, &x, 8, 0);	/* EXIT has no tail: malformed */
	bpf_ringbuf_output(&procs, &e, 28, 0);	/* the fixed part alone: args empty */
	bpf_ringbuf_output(&procs, &e, 38, 0);	/* 10 bytes of tail: args cut to 10 */
	bpf_ringbuf_output(&procs, &e, sizeof(e), 0); /* whole: args cut to argsSize */
	bpf_ringbuf_output(&procs, unknown, sizeof(unknown), 0); /* a tag no variant has */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

let gen: Gen;
let object: string;
const open: (Disposable | AsyncDisposable)[] = [];
const keep = <T extends Disposable | AsyncDisposable>(x: T) => (open.push(x), x);
afterEach(async () => {
  for (const x of open.splice(0).reverse()) {
    if (Symbol.asyncDispose in x) await x[Symbol.asyncDispose]();
    else x[Symbol.dispose]();
  }
});

/** Runs `program` on `cpu` to emit `count` events. */
function emit(program: Program, count: number, cpu = 0): void {
  const ctx = new Uint8Array(8);
  new DataView(ctx.buffer).setBigUint64(0, BigInt(count), true);
  program.testRun({ ctx, cpu });
}

/** Reads from `events` until `count` have come (or 5 s pass). */
async function collect<E>(events: EventMap<E>, count: number, signal?: AbortSignal): Promise<E[]> {
  const got: E[] = [];
  const timeout = AbortSignal.timeout(5000);
  for await (const e of events.events({ signal: signal ?? timeout })) {
    got.push(e);
    if (got.length === count) break;
  }
  return got;
}

function setup() {
  const obj = keep(BpfObject.load(object));
  const maps = keep(gen.openMaps(obj));
  return { obj, maps, program: (name: string) => obj.program(name) };
}

/** This process's open fds and what each is (`anon_inode:bpf-map`, ...). */
function fds(): Map<string, string> {
  const out = new Map<string, string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the fd readdir itself used, closed since
    }
  }
  return out;
}
const CPUS = Math.min(2, (await import('node:os')).cpus().length);

describeWith(['bpf', 'clang', 'libbpf-headers'], 'events', () => {
  beforeAll(async () => {
    gen = await import(`${dir}/maps.gen.ts`);
    object = compileBpf(PROGRAMS, { includes: [dir] });
  });

  it('a ring buffer delivers every event, decoded, in the order programs submitted them', async () => {
    const { maps, program } = setup();
    const reading = collect(maps.ticks, 5000);
    for (let i = 0; i < 5; i++) {
      emit(program('tick_burst'), 1000, i % CPUS);
      await tick(); // let the reader run between bursts
    }
    const got = await reading;
    expect(got.map((e) => e.seq)).toEqual(Array.from({ length: 5000 }, (_, i) => BigInt(i)));
    expect(got.map((e) => e.cpu)).toEqual(
      Array.from({ length: 5000 }, (_, i) => Math.floor(i / 1000) % CPUS),
    );
    expect(maps.ticks.drops()).toBe(0n);
    expect(maps.ticks.malformed()).toBe(0);
  });

  it('the libbpf reader delivers the same events as the mapped one', async () => {
    const { obj, program } = setup();
    const ring = keep(
      new RingBuffer(
        RawMap.open(obj.map('ticks'), gen.ticksSpec),
        eventDecoder<import('./fixtures/events/maps.gen.js').Tick>(gen.ticksEventSpec, [
          gen.TickCodec,
        ]),
        { reader: 'libbpf' },
      ),
    );
    emit(program('tick_burst'), 3000);
    expect(ring.drain().map((e) => e.seq)).toEqual(
      Array.from({ length: 3000 }, (_, i) => BigInt(i)),
    );
  });

  it('a perf event array delivers every event, in order per CPU', async () => {
    const { maps, program } = setup();
    for (let round = 0; round < 3; round++)
      for (let cpu = 0; cpu < CPUS; cpu++) emit(program('perf_burst'), 700, cpu);
    const got = await collect(maps.perf_ticks, 3 * 700 * CPUS);
    for (let cpu = 0; cpu < CPUS; cpu++) {
      const seqs = got.filter((e) => e.cpu === cpu).map((e) => Number(e.seq));
      expect(seqs).toHaveLength(3 * 700);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    expect(new Set(got.map((e) => e.seq)).size).toBe(got.length);
    expect(maps.perf_ticks.lost()).toBe(0n);
    expect(maps.perf_ticks.drops()).toBe(0n);
  });

  it('tagged events decode each to its own type, the tail cut to what was sent', () => {
    const { maps, program } = setup();
    emit(program('procs_burst'), 70);
    const got = maps.procs.drain();
    expect(got).toHaveLength(140);
    for (let i = 0; i < 70; i++) {
      const exec = got[2 * i]!;
      const exit = got[2 * i + 1]!;
      if (exec.kind !== 'EXEC' || exit.kind !== 'EXIT') throw new Error(`event ${i} out of order`);
      const sent = Math.min(i, 64);
      expect(exec).toEqual({
        kind: 'EXEC',
        pid: i,
        comm: 'burst',
        argsSize: sent, // the helper sets it to what it sent
        args: Uint8Array.from({ length: sent }, (_, b) => b + 1),
      });
      expect(exit).toEqual({ kind: 'EXIT', pid: i, code: i === 0 ? 0 : -i });
    }
  });

  it('short samples decode by the documented rule; what no struct fits is counted', () => {
    const { maps, program } = setup();
    program('procs_odd').testRun({ ctx: new Uint8Array(8) });
    const args = (n: number) => Uint8Array.from({ length: n }, (_, b) => b + 1);
    const exec = { kind: 'EXEC', pid: 7, comm: 'odd', argsSize: 40 };
    expect(maps.procs.drain()).toEqual([
      { ...exec, args: args(0) },
      { ...exec, args: args(10) },
      { ...exec, args: args(40) },
      { kind: 9, bytes: Uint8Array.of(9, 0, 0, 0, 0xcd, 0xab, 0, 0) },
    ]);
    expect(maps.procs.malformed()).toBe(3);
  });

  it('the tail helper sets the length field to the bytes it sends', () => {
    const { maps, program } = setup();
    program('procs_tail').testRun({ ctx: new Uint8Array(8) });
    const args = (n: number) => Uint8Array.from({ length: n }, (_, b) => b + 1);
    expect(maps.procs.drain()).toMatchObject([
      { kind: 'EXEC', pid: 5, argsSize: 10, args: args(10) },
      { kind: 'EXEC', pid: 5, argsSize: 64, args: args(64) },
    ]);
  });

  it('a short sample warns once, naming its size', async () => {
    const { maps, program } = setup();
    await tick(); // warnings of earlier tests come on a later tick
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      program('procs_odd').testRun({ ctx: new Uint8Array(8) });
      maps.procs.drain();
      await tick();
      expect(warnings.map((w) => w.message)).toEqual([
        "an event of procs does not decode (a sample of 3 bytes is shorter than its event's fixed part, or its tag); it and any like it are skipped and counted in malformed()",
      ]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a stalled reader loses events, and the drop counter says how many', () => {
    const { maps, program } = setup();
    emit(program('tiny_burst'), 1000);
    const got = maps.tiny.drain();
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(1000);
    expect(got.map((e) => e.seq)).toEqual(Array.from({ length: got.length }, (_, i) => BigInt(i)));
    expect(maps.tiny.drops()).toBe(BigInt(1000 - got.length));
    // Room again once read: nothing more is dropped.
    emit(program('tiny_burst'), 10);
    expect(maps.tiny.drain()).toHaveLength(10);
    expect(maps.tiny.drops()).toBe(BigInt(1000 - got.length));
    // A tracer's Ctrl-C closes the map, then prints the count.
    maps.tiny.close();
    expect(maps.tiny.drops()).toBe(BigInt(1000 - got.length));
  });

  it("a full perf ring loses samples; lost() and the programs' drop counter agree", () => {
    const { maps, program } = setup();
    emit(program('perf_burst'), 20_000); // 64 pages hold about 8000 of them
    const got = maps.perf_ticks.drain();
    expect(got.length).toBeLessThan(20_000);
    emit(program('perf_burst'), 1); // the kernel reports the loss before the next sample
    expect(maps.perf_ticks.drain()).toHaveLength(1);
    expect(maps.perf_ticks.lost()).toBe(BigInt(20_000 - got.length));
    expect(maps.perf_ticks.drops()).toBe(BigInt(20_000 - got.length));
  });

  it('closing mid-stream ends a pending read and leaks no fd', async () => {
    const { maps, program } = setup();
    const before = fds();
    const ticks = maps.ticks;
    const iterator = ticks[Symbol.asyncIterator]();
    emit(program('tick_burst'), 3);
    for (let i = 0; i < 3; i++)
      expect((await iterator.next()).value).toMatchObject({ seq: BigInt(i) });
    const pending = iterator.next(); // nothing left: waits off the main thread
    await tick();
    // Readers share one epoll set and one eventfd, the process's, opened by its first reader.
    const shared = [...fds()].filter(([fd]) => !before.has(fd));
    expect(shared.map(([, what]) => what).sort()).toEqual(
      before.size > 0 && [...before.values()].includes('anon_inode:[eventpoll]')
        ? []
        : ['anon_inode:[eventfd]', 'anon_inode:[eventpoll]'],
    );
    await ticks[Symbol.asyncDispose]();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    // Nothing else stays open, and the map's and its drop counter's fds are closed.
    const after = fds();
    const kept = new Set(shared.map(([fd]) => fd));
    expect([...after.keys()].filter((fd) => !before.has(fd) && !kept.has(fd))).toEqual([]);
    const closed = [...before].filter(([fd]) => !after.has(fd)).map(([, what]) => what);
    expect(closed).toEqual(['anon_inode:bpf-map', 'anon_inode:bpf-map']);
    expect(() => ticks.drain()).toThrow(/closed/);
  });

  it("readers share one waiting thread: many idle readers leave libuv's pool free, and each still gets its events", async () => {
    const a = setup();
    const b = setup();
    const abort = new AbortController();
    // Eight readers waiting at once: twice the pool's four threads.
    const idle = [a, b].flatMap(({ maps }) =>
      [maps.procs, maps.tiny, maps.perf_ticks].map((m) =>
        m.events({ signal: abort.signal }).next(),
      ),
    );
    const reading = collect(b.maps.ticks, 3, AbortSignal.timeout(5000));
    const started = Date.now();
    await readFile('/proc/self/stat'); // runs on the pool
    expect(Date.now() - started).toBeLessThan(1000);
    emit(b.program('tick_burst'), 3);
    expect((await reading).map((e) => e.seq)).toEqual([0n, 1n, 2n]);
    abort.abort();
    await Promise.all(idle);
    await readFile('/proc/self/stat');
    a.maps.ticks.close();
  });

  it('a process exits while a reader waits: process.exit() and an uncaught throw', () => {
    const child = (ending: string) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `import { BpfObject } from '@bpfmaps/runtime';
const gen = await import(${JSON.stringify(`${dir}/maps.gen.ts`)});
const maps = gen.openMaps(BpfObject.load(${JSON.stringify(object)}));
void (async () => { for await (const e of maps.ticks) console.log(e); })();
maps.perf_ticks.subscribe(() => {});
setTimeout(() => { ${ending} }, 100);`,
        ],
        { cwd: dir, timeout: 20_000, encoding: 'utf8' },
      );
    const exited = child('process.exit(3)');
    expect(exited.error).toBeUndefined(); // not killed by the timeout
    expect(exited.status).toBe(3);
    const crashed = child("throw new Error('boom')");
    expect(crashed.error).toBeUndefined();
    expect(crashed.status).toBe(1);
    expect(crashed.stderr).toMatch(/boom/);
  });

  it('subscribe() delivers to a callback until its signal aborts', async () => {
    const { maps, program } = setup();
    const abort = new AbortController();
    const seen: bigint[] = [];
    const subscription = maps.ticks.subscribe((e) => seen.push(e.seq), { signal: abort.signal });
    emit(program('tick_burst'), 50);
    while (seen.length < 50) await tick();
    abort.abort();
    await subscription.done;
    emit(program('tick_burst'), 5);
    await tick();
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)));
    // The map stays open and the next reader takes what came meanwhile.
    expect(maps.ticks.drain().map((e) => e.seq)).toEqual([50n, 51n, 52n, 53n, 54n]);
  });

  it('one reader at a time: a second iterator, subscription or drain is refused, naming the first', async () => {
    const { maps } = setup();
    const first = maps.ticks.events();
    const pending = first.next();
    await tick();
    expect(() => maps.ticks.events()).toThrow(/already read by an iterator; one reader at a time/);
    expect(() => maps.ticks.drain()).toThrow(/already read by an iterator/);
    expect(() => maps.ticks.subscribe(() => undefined)).toThrow(/already read by an iterator/);
    await first.return!();
    await expect(pending).resolves.toMatchObject({ done: true });
    // Once it has ended, the next reader may start.
    const subscription = maps.ticks.subscribe(() => undefined);
    expect(() => maps.ticks.drain()).toThrow(/already read by a subscription/);
    await subscription.close();
    expect(maps.ticks.drain()).toEqual([]);
  });

  it('a callback that throws ends the subscription; the events after it stay for the next reader', async () => {
    const { maps, program } = setup();
    emit(program('tick_burst'), 10);
    const seen: bigint[] = [];
    const subscription = maps.ticks.subscribe((e) => {
      seen.push(e.seq);
      if (e.seq === 3n) throw new Error('consumer failed at 3');
    });
    await expect(subscription.done).rejects.toThrow('consumer failed at 3');
    expect(seen).toEqual([0n, 1n, 2n, 3n]);
    expect(maps.ticks.drain().map((e) => e.seq)).toEqual([4n, 5n, 6n, 7n, 8n, 9n]);
  });

  it('an event the schema cannot hold is skipped, counted and warned about once; the stream goes on', async () => {
    const { obj, program } = setup();
    // A codec that cannot represent seq 5, as u64.asNumber() cannot a value beyond 2^53.
    const picky = {
      ...gen.TickCodec,
      decode: (view: DataView, offset: number) => {
        const tick = gen.TickCodec.decode(view, offset);
        if (tick.seq === 5n || tick.seq === 7n)
          throw new RangeError(`seq ${tick.seq} cannot be read`);
        return tick;
      },
    };
    const ring = keep(
      new RingBuffer(
        RawMap.open(obj.map('ticks'), gen.ticksSpec),
        eventDecoder<import('./fixtures/events/maps.gen.js').Tick>(gen.ticksEventSpec, [picky]),
      ),
    );
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      emit(program('tick_burst'), 10);
      expect(ring.drain().map((e) => e.seq)).toEqual([0n, 1n, 2n, 3n, 4n, 6n, 8n, 9n]);
      expect(ring.malformed()).toBe(2);
      await tick();
      expect(warnings.map((w) => w.message)).toEqual([
        'an event of ticks does not decode (seq 5 cannot be read); it and any like it are skipped and counted in malformed()',
      ]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a ring defined by hand under BPFMAPS_NO_MAPS still has its event type checked and read', () => {
    const own = compileBpf(
      `#define BPFMAPS_NO_MAPS
#include "maps.h"
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} ticks SEC(".maps");
SEC("raw_tp") int one(void *ctx __attribute__((unused)))
{
	struct tick *t = bpf_ringbuf_reserve(&ticks, sizeof(*t), 0);

	if (!t)
		return 0;
	t->seq = 42;
	t->cpu = 3;
	bpf_ringbuf_submit(t, 0);
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
`,
      { includes: [dir] },
    );
    const obj = keep(BpfObject.load(own));
    const ticks = keep(gen.ticksMap.open(obj.map('ticks')));
    obj.program('one').testRun({ ctx: new Uint8Array(8) });
    expect(ticks.drain()).toEqual([{ seq: 42n, cpu: 3 }]);
  });

  it('an event struct that differs from the object is refused, naming the field', () => {
    const wrong = compileBpf(
      `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct tick { __u32 seq; __u32 cpu; };
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} ticks SEC(".maps");
static const struct tick anchor SEC(".bpfmaps.types") __attribute__((used));
SEC("raw_tp") int nothing(void *ctx __attribute__((unused))) { return 0; }
char LICENSE[] SEC("license") = "GPL";
`,
    );
    const obj = keep(BpfObject.load(wrong));
    let error: Partial<BpfError> = {};
    try {
      keep(gen.ticksMap.open(obj.map('ticks')));
    } catch (e) {
      error = e as BpfError;
    }
    expect(error.code).toBe('INCOMPATIBLE');
    expect(error.message).toMatch(/ticks/);
    expect(error.message).toMatch(/event Tick.*seq/);
  });
});
