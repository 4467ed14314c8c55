/**
 * The events workload: one producer (c/events.bpf.c, run by `events-c
 * produce` on its own CPU) feeds a ring buffer; the C consumer (libbpf's
 * ring_buffer__poll) and bpfmaps (the generated RingBuffer, read with for
 * await or with a callback) read it in turn. Each reports events consumed per second, from the first
 * event to the end marker, and the delivery latency of every event (when it
 * was read minus when the program reserved it).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { eventsMap, type EventsEvent } from '../bench.gen.js';

const EVENTS_C = fileURLToPath(new URL('../build/events-c', import.meta.url));
const PRODUCER = fileURLToPath(new URL('../build/events.bpf.o', import.meta.url));
/** Latency is taken of one event in this many, by both consumers: reading the clock is not free. */
const LATENCY_EVERY = 16;
/** The end marker's seq (as events.bpf.c sends it). */
const END = 2 ** 48 - 1;

export interface EventsResult {
  consumed: number;
  /** Events consumed per second, first event to end marker. */
  rate: number;
  /** Delivery latency percentiles, in nanoseconds. */
  p50: number;
  p99: number;
  /** Events the producer could not reserve: the ring was full. */
  drops: number;
}

/** The producer, once it has loaded and pinned its maps in `dir`. */
async function startProducer(dir: string, events: number, rate: number) {
  const producer = spawn(EVENTS_C, ['produce', dir, String(events), String(rate), PRODUCER]);
  const exited = once(producer, 'exit');
  const lines = createInterface({ input: producer.stdout })[Symbol.asyncIterator]();
  await expectLine(lines, producer, 'ready');
  return {
    go: () => producer.stdin.write('go\n'),
    finished: async () => {
      const line = await expectLine(lines, producer);
      await exited;
      return JSON.parse(line) as { produced: number; drops: number };
    },
  };
}

async function expectLine(
  lines: AsyncIterator<string>,
  child: ChildProcessWithoutNullStreams,
  expected?: string,
): Promise<string> {
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const { value, done } = await lines.next();
  if (done || (expected !== undefined && value !== expected))
    throw new Error(`events-c ${child.spawnargs[1]} failed: ${stderr.trim() || value}`);
  return value;
}

/** Sorted nanosecond latencies -> the q-th quantile. */
const quantile = (sorted: Float64Array, q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]! : 0;

/** The two ways to read events as they come: `for await`, and a callback. */
export type BpfmapsReader = 'iterator' | 'callback';

async function consumeWithBpfmaps(
  reader: BpfmapsReader,
  dir: string,
  go: () => void,
): Promise<Omit<EventsResult, 'drops'>> {
  using ring = eventsMap.openPinned(`${dir}/events`);
  // performance.now() and bpf_ktime_get_ns() both count CLOCK_MONOTONIC; this is their offset.
  const origin = Number(process.hrtime.bigint()) - performance.now() * 1e6;
  const latency = new Float64Array(2 ** 24 / LATENCY_EVERY);
  let sampled = 0;
  let consumed = 0;
  let first = 0;
  let last = 0;
  /** Takes one event; true at the end marker. */
  const clock = () => performance.now() * 1e6 + origin;
  const take = (e: EventsEvent): boolean => {
    if (e.seq === END) {
      last = clock();
      return true;
    }
    if ((consumed & (LATENCY_EVERY - 1)) === 0) {
      const now = clock();
      if (consumed === 0) first = now;
      latency[sampled++] = now - e.ts;
    }
    consumed++;
    return false;
  };
  if (reader === 'iterator') {
    const events = ring.events();
    const next = events.next(); // waiting before the producer starts
    go();
    for (let r = await next; !r.done; r = await events.next()) if (take(r.value)) break;
    await events.return?.();
  } else {
    const stop = new AbortController();
    const subscription = ring.subscribe((e) => take(e) && stop.abort(), { signal: stop.signal });
    go();
    await subscription.done;
  }
  const sorted = latency.subarray(0, sampled).sort();
  return {
    consumed,
    rate: consumed / ((last - first) / 1e9),
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
  };
}

async function consumeWithC(dir: string, go: () => void): Promise<Omit<EventsResult, 'drops'>> {
  const consumer = spawn(EVENTS_C, ['consume', dir]);
  const exited = once(consumer, 'exit');
  const lines = createInterface({ input: consumer.stdout })[Symbol.asyncIterator]();
  await expectLine(lines, consumer, 'ready');
  go();
  const report = JSON.parse(await expectLine(lines, consumer)) as {
    consumed: number;
    ns: number;
    p50: number;
    p99: number;
  };
  await exited;
  return { ...report, rate: report.consumed / (report.ns / 1e9) };
}

/**
 * One run: `events` events from the producer, as fast as it can (rate 0) or
 * at `rate` a second, read by C or by bpfmaps.
 */
export async function runEvents(
  consumer: 'c' | BpfmapsReader,
  events: number,
  rate: number,
): Promise<EventsResult> {
  const dir = mkdtempSync('/sys/fs/bpf/bpfmaps-bench-');
  try {
    const producer = await startProducer(dir, events, rate);
    const result =
      consumer === 'c'
        ? await consumeWithC(dir, producer.go)
        : await consumeWithBpfmaps(consumer, dir, producer.go);
    const { drops } = await producer.finished();
    return { ...result, drops };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
