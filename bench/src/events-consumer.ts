/**
 * The bpfmaps consumer of the events workload, a process of its own as the
 * C one is: `events-consumer.ts <iterator|callback> <pin-dir> [warm-up]`
 * opens the pinned ring, prints "ready", reads until the end marker and
 * prints {"consumed":N,"ns":N,"cpu":N,"p50":ns,"p99":ns}, as `events-c consume`
 * does; latency leaves out the first `warm-up` events.
 */
import { eventsMap, type EventsEvent } from '../bench.gen.js';
import { END, LATENCY_EVERY, quantile } from './events-protocol.js';

const [reader, dir, warmup = '0'] = process.argv.slice(2);
if ((reader !== 'iterator' && reader !== 'callback') || !dir) {
  console.error('usage: events-consumer.ts <iterator|callback> <pin-dir> [warm-up events]');
  process.exit(2);
}

using ring = eventsMap.openPinned(`${dir}/events`);
/** CLOCK_MONOTONIC in nanoseconds, as bpf_ktime_get_ns() counts (performance.now() drifts from it). */
const clock = () => {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e9 + nanoseconds;
};
const latency = new Float64Array(2 ** 24 / LATENCY_EVERY);
const warmedUp = Number(warmup);
let sampled = 0;
let consumed = 0;
let first = 0;
let last = 0;
let cpu = process.cpuUsage();

/** Takes one event; true at the end marker. */
const take = (e: EventsEvent): boolean => {
  if (e.seq === END) {
    last = clock();
    return true;
  }
  if ((consumed & (LATENCY_EVERY - 1)) === 0) {
    const now = clock();
    if (consumed === 0) first = now;
    if (consumed >= warmedUp) latency[sampled++] = now - e.ts;
  }
  consumed++;
  return false;
};

if (reader === 'iterator') {
  const events = ring.events();
  const next = events.next(); // waiting before the producer starts
  console.log('ready');
  cpu = process.cpuUsage();
  for (let r = await next; !r.done; r = await events.next()) if (take(r.value)) break;
  await events.return?.();
} else {
  const stop = new AbortController();
  const subscription = ring.subscribe((e) => take(e) && stop.abort(), { signal: stop.signal });
  console.log('ready');
  cpu = process.cpuUsage();
  await subscription.done;
}
const used = process.cpuUsage(cpu);
const sorted = latency.subarray(0, sampled).sort();
console.log(
  JSON.stringify({
    consumed,
    ns: last - first,
    cpu: (used.user + used.system) * 1000,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
  }),
);
