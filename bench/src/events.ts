/**
 * The events workload: one producer (c/events.bpf.c, run by `events-c
 * produce` on the last CPU) feeds a pinned ring buffer; a consumer on CPU 0
 * reads it: the C one (libbpf's ring_buffer__poll, `events-c consume`) or
 * bpfmaps (src/events-consumer.ts: for await, or subscribe()). Both
 * consumers are processes of their own, pinned alike.
 *
 * What is compared is the highest rate each consumer sustains: the producer
 * sends at a rate, and the consumer keeps up when it loses nothing; rates
 * go up a ladder until it does not. Latency (when an event is read minus
 * when the program reserved it) is measured at a paced, moderate rate, the
 * producer submitting as the generated header does.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const EVENTS_C = fileURLToPath(new URL('../build/events-c', import.meta.url));
const PRODUCER = fileURLToPath(new URL('../build/events.bpf.o', import.meta.url));
const CONSUMER_TS = fileURLToPath(new URL('./events-consumer.ts', import.meta.url));

export type Consumer = 'c' | 'callback' | 'iterator';

export interface EventsRun {
  /** Events a second the producer asked for (0: as fast as it can) and reached. */
  asked: number;
  produced: number;
  /** Events read, and what the producer could not reserve (the ring was full). */
  consumed: number;
  drops: number;
  /** CPU time the consumer took per event read, in nanoseconds. */
  cpuPerEvent: number;
  /** Delivery latency percentiles, in nanoseconds. */
  p50: number;
  p99: number;
}

/** A child process, pinned to `cpu`, whose stdout is read line by line. */
function child(cpu: number, command: string, args: string[]) {
  const proc = spawn('taskset', ['-c', String(cpu), command, ...args]);
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(proc, 'exit');
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const line = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`${[command, ...args].join(' ')} failed: ${stderr.trim()}`);
    return value;
  };
  return { proc, line, exited };
}

/**
 * One run: `events` events asked at `rate` a second (0: flat out), read by
 * `consumer`; latency leaves out the first `warmup` events (JIT, page faults).
 * The producer wakes the reader every `wakeupEvery` events, or (0) as the
 * kernel decides: when the reader has caught up, which makes a producer
 * feeding a fast reader pay for a wakeup nearly every event.
 */
export async function runEvents(
  consumer: Consumer,
  events: number,
  rate: number,
  { warmup = 0, wakeupEvery = 0 }: { warmup?: number; wakeupEvery?: number } = {},
): Promise<EventsRun> {
  const dir = mkdtempSync('/sys/fs/bpf/bpfmaps-bench-');
  try {
    const last = cpus().length - 1;
    const producer = child(last, EVENTS_C, [
      'produce',
      dir,
      String(events),
      String(rate),
      PRODUCER,
      String(wakeupEvery),
    ]);
    if ((await producer.line()) !== 'ready') throw new Error('the producer did not start');
    const reader =
      consumer === 'c'
        ? child(0, EVENTS_C, ['consume', dir, String(warmup)])
        : child(0, process.execPath, [
            // e.g. BENCH_CONSUMER_FLAGS=--cpu-prof to profile the bpfmaps consumer
            ...(process.env.BENCH_CONSUMER_FLAGS?.split(' ').filter(Boolean) ?? []),
            '--import',
            'tsx',
            CONSUMER_TS,
            consumer,
            dir,
            String(warmup),
          ]);
    if ((await reader.line()) !== 'ready')
      throw new Error(`the ${consumer} consumer did not start`);
    producer.proc.stdin.write('go\n');
    const read = JSON.parse(await reader.line()) as {
      consumed: number;
      cpu: number;
      p50: number;
      p99: number;
    };
    const made = JSON.parse(await producer.line()) as {
      produced: number;
      drops: number;
      ns: number;
    };
    await Promise.all([reader.exited, producer.exited]);
    return {
      asked: rate,
      produced: made.produced / (made.ns / 1e9),
      consumed: read.consumed,
      drops: made.drops,
      cpuPerEvent: read.cpu / read.consumed,
      p50: read.p50,
      p99: read.p99,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rates tried, events a second. */
export const LADDER = [0.5e6, 1e6, 1.5e6, 2e6, 3e6, 4e6, 5e6, 6e6, 8e6, 10e6, 12e6, 16e6];

export interface Sustained {
  /** The highest rate at which the consumer lost nothing. */
  rate: number;
  /** The producer could not go faster: the consumer kept up with all it sent. */
  producerBound: boolean;
}

/**
 * Up the ladder until the consumer loses events (or the producer falls short
 * of the rate). The producer wakes the reader every 64 events: left to the
 * kernel, a producer feeding C slows down on wakeups that one feeding a
 * slower reader is spared, and the comparison would measure that.
 */
export async function sustainedRate(consumer: Consumer, seconds: number): Promise<Sustained> {
  let rate = 0;
  for (const asked of LADDER) {
    const run = await runEvents(consumer, Math.round(asked * seconds), asked, { wakeupEvery: 64 });
    if (run.drops > 0) return { rate, producerBound: false };
    if (run.produced < asked * 0.95)
      return { rate: Math.max(rate, run.produced), producerBound: true };
    rate = asked;
  }
  return { rate, producerBound: true };
}
