/**
 * npm run bench: every workload on a C baseline (the same libbpf calls, built
 * at bench time), on bpfmaps through the generated accessor, and on node_bpf,
 * alternated round by round in one run; medians, ops/s and ratios to C.
 * Options: --n (entries, default 1,000,000), --rounds (3), --batch (256),
 * --events (2,000,000), --event-rate (100,000), --json.
 */
import { execFileSync } from 'node:child_process';
import { cpus, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ensureBpffs } from '@bpfmaps/runtime';
import { runCodecs } from './codecs.js';
import { runEvents, type EventsResult } from './events.js';
import { runNodeBpf } from './node-bpf.js';
import { runBpfmaps, runMmap, type Workload } from './workloads.js';

const args = yargs(hideBin(process.argv))
  .option('n', { type: 'number', default: 1_000_000, describe: 'entries per workload' })
  .option('rounds', {
    type: 'number',
    default: 3,
    describe: 'alternated rounds; medians are reported',
  })
  .option('batch', {
    type: 'number',
    default: 256,
    describe: 'entries per batch syscall in entries()',
  })
  .option('events', {
    type: 'number',
    default: 2_000_000,
    describe: 'events the producer sends as fast as it can, for the throughput run',
  })
  .option('event-rate', {
    type: 'number',
    default: 100_000,
    describe: 'events a second in the latency run (for one second)',
  })
  .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of a table' })
  .strict()
  .parseSync();

const C_BENCH = fileURLToPath(new URL('../build/bench-c', import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function runC(workload: Workload): number {
  return Number(
    execFileSync(C_BENCH, [workload, String(args.n), String(args.batch)], {
      encoding: 'utf8',
    }).trim(),
  );
}

interface Row {
  workload: string;
  /** Nanoseconds per operation (per entry for entries/setMany), medians. */
  c?: number;
  bpfmaps: number;
  nodeBpf?: number;
  /** bpfmaps / C: how many times C's time bpfmaps takes. */
  ratio?: number;
  nodeBpfRatio?: number;
  target?: string;
}

const TARGETS: Partial<Record<Workload, number>> = {
  get: 1.15,
  set: 1.15,
  delete: 1.15,
  entries: 1.25,
  setMany: 1.25,
};
const workloads: Workload[] = [
  'set',
  'get',
  'delete',
  'entries',
  'setMany',
  'getMany',
  'percpuGet',
];
const rows: Row[] = [];
for (const workload of workloads) {
  const samples = { c: [] as number[], bpfmaps: [] as number[], nodeBpf: [] as number[] };
  for (let r = 0; r < args.rounds; r++) {
    samples.c.push(runC(workload) / args.n);
    samples.bpfmaps.push(runBpfmaps(workload, args.n, args.batch) / args.n);
    const peer = runNodeBpf(workload, args.n);
    if (peer !== undefined) samples.nodeBpf.push(peer / args.n);
  }
  const c = median(samples.c);
  const bpfmaps = median(samples.bpfmaps);
  const nodeBpf = samples.nodeBpf.length ? median(samples.nodeBpf) : undefined;
  const target = TARGETS[workload];
  rows.push({
    workload,
    c,
    bpfmaps,
    nodeBpf,
    ratio: bpfmaps / c,
    nodeBpfRatio: nodeBpf === undefined ? undefined : nodeBpf / c,
    target: target === undefined ? undefined : `<= ${target}`,
  });
}

const codec = { generated: [] as number[], reference: [] as number[] };
const mmap = { mmap: [] as number[], batch: [] as number[] };
for (let r = 0; r < args.rounds; r++) {
  const k = runCodecs(Math.min(args.n, 200_000));
  codec.generated.push(k.generated / Math.min(args.n, 200_000));
  codec.reference.push(k.reference / Math.min(args.n, 200_000));
  const m = runMmap(args.n, args.batch);
  mmap.mmap.push(m.mmap / args.n);
  mmap.batch.push(m.batch / args.n);
}
// Events: C and bpfmaps on the same producer, alternated; throughput flat out, latency paced.
ensureBpffs();
const consumers = ['c', 'callback', 'iterator'] as const;
type Consumer = (typeof consumers)[number];
const runs = { c: [], callback: [], iterator: [] } as Record<Consumer, EventsResult[]>;
const paced = { c: [], callback: [], iterator: [] } as Record<Consumer, EventsResult[]>;
for (let r = 0; r < args.rounds; r++) {
  for (const consumer of consumers) {
    runs[consumer].push(await runEvents(consumer, args.events, 0));
    paced[consumer].push(await runEvents(consumer, args.eventRate, args.eventRate));
  }
}
const spread = (xs: number[]) => ({
  median: median(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
});
const eventsOf = (consumer: Consumer) => ({
  rate: spread(runs[consumer].map((x) => x.rate)),
  dropped: spread(runs[consumer].map((x) => x.drops / (x.drops + x.consumed))),
  p50: spread(paced[consumer].map((x) => x.p50)),
  p99: spread(paced[consumer].map((x) => x.p99)),
  /** Events a second over C's, round by round (higher is better). */
  ratio: spread(runs.c.map((c, i) => runs[consumer][i]!.rate / c.rate)),
});
const events = {
  events: args.events,
  pacedRate: args.eventRate,
  c: eventsOf('c'),
  callback: eventsOf('callback'),
  iterator: eventsOf('iterator'),
  target: '>= 0.8',
};

const memory = JSON.parse(
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--expose-gc',
      fileURLToPath(new URL('./memory.ts', import.meta.url)),
      String(args.n),
    ],
    { encoding: 'utf8' },
  ),
) as { entries: number; growth: number; heapGrowth: number };

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  kernel: release(),
  node: process.version,
};
const extra = {
  codec: {
    generated: median(codec.generated),
    reference: median(codec.reference),
    speedup: median(codec.reference) / median(codec.generated),
    target: '>= several x',
  },
  mmap: {
    mmap: median(mmap.mmap),
    batch: median(mmap.batch),
    speedup: median(mmap.batch) / median(mmap.mmap),
    target: '>= 10',
  },
  memory: {
    entries: memory.entries,
    growthMiB: memory.growth / 2 ** 20,
    heapGrowthMiB: memory.heapGrowth / 2 ** 20,
    target: '< 64',
  },
};

if (args.json) {
  console.log(
    JSON.stringify(
      { n: args.n, rounds: args.rounds, batch: args.batch, machine, rows, ...extra, events },
      null,
      2,
    ),
  );
} else {
  const ops = (ns: number | undefined) =>
    ns === undefined ? '-' : Math.round(1e9 / ns).toLocaleString('en-US');
  const x = (r: number | undefined) => (r === undefined ? '-' : r.toFixed(2));
  console.log(
    `bpfmaps bench: n=${args.n}, ${args.rounds} rounds alternated, medians; ${machine.cpu} x${machine.cores}, Linux ${machine.kernel}, Node ${machine.node}`,
  );
  console.log(
    `${'workload'.padEnd(11)} ${'C ops/s'.padStart(12)} ${'bpfmaps ops/s'.padStart(14)} ${'node_bpf ops/s'.padStart(15)} ${'bpfmaps/C'.padStart(10)} ${'node_bpf/C'.padStart(11)} ${'target'.padStart(8)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.workload.padEnd(11)} ${ops(r.c).padStart(12)} ${ops(r.bpfmaps).padStart(14)} ${ops(r.nodeBpf).padStart(15)} ${x(r.ratio).padStart(10)} ${x(r.nodeBpfRatio).padStart(11)} ${(r.target ?? '').padStart(8)}`,
    );
  }
  console.log(
    '(ratios are time ratios: bpfmaps/C = 1.10 means 10% slower than C; node_bpf does no encoding or decoding)',
  );
  console.log(
    `codec encode+decode: generated ${ops(extra.codec.generated)}/s, typed-binary reference ${ops(extra.codec.reference)}/s: ${extra.codec.speedup.toFixed(1)}x faster`,
  );
  console.log(
    `mmap'ed array reads: ${ops(extra.mmap.mmap)}/s vs batch lookup ${ops(extra.mmap.batch)}/s: ${extra.mmap.speedup.toFixed(1)}x faster (target >= 10x)`,
  );
  const us = (ns: number) => `${(ns / 1000).toFixed(0)} us`;
  const range = (x: { median: number; min: number; max: number }, show: (n: number) => string) =>
    `${show(x.median)} (${show(x.min)}-${show(x.max)})`;
  const rate = (n: number) => `${(n / 1e6).toFixed(2)}M/s`;
  const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
  console.log(
    `events: ${args.events.toLocaleString('en-US')} from one producer flat out, then ${args.eventRate.toLocaleString('en-US')}/s for latency; medians (min-max)`,
  );
  for (const consumer of consumers) {
    const x = events[consumer];
    const name = {
      c: 'C ring_buffer__poll',
      callback: 'bpfmaps subscribe()',
      iterator: 'bpfmaps for await',
    }[consumer];
    console.log(
      `  ${name.padEnd(20)} ${range(x.rate, rate)}, ${range(x.dropped, pct)} dropped, ${consumer === 'c' ? '' : `x${range(x.ratio, (n) => n.toFixed(2))} of C (target >= 0.8), `}latency p50 ${range(x.p50, us)}, p99 ${range(x.p99, us)}`,
    );
  }
  console.log(
    `streaming entries() over ${extra.memory.entries.toLocaleString('en-US')} entries: peak RSS growth ${extra.memory.growthMiB.toFixed(1)} MiB (target < 64 MiB), peak heap growth ${extra.memory.heapGrowthMiB.toFixed(1)} MiB`,
  );
}
