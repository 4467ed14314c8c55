/** What the producer and the consumers of the events workload agree on (see c/events.c). */

/** The end marker's seq, as c/events.bpf.c sends it. */
export const END = 2 ** 48 - 1;

/** Latency is taken of one event in this many, by every consumer: reading the clock is not free. */
export const LATENCY_EVERY = 16;

/** Sorted latencies -> their q-th quantile. */
export const quantile = (sorted: Float64Array, q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]! : 0;
