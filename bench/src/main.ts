/**
 * npm run bench: every workload on a C baseline (the same libbpf calls, built
 * at bench time), on bpfmaps through the generated accessor, and on node_bpf,
 * alternated round by round in one run, at each map size; medians, the
 * spread of the rounds, ops/s and ratios to C.
 * Options: --n (entries, comma-separated sizes, default 200,000 and
 * 1,000,000), --rounds (3), --batch (256), --event-seconds (0.5),
 * --event-rate (100,000), --json.
 */
import { execFileSync } from 'node:child_process';
import { cpus, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ensureBpffs } from '@bpfmaps/runtime';
import { runCodecs } from './codecs.js';
import {
  runEvents,
  sustainedRate,
  type Consumer,
  type EventsRun,
  type Sustained,
} from './events.js';
import { runNodeBpf } from './node-bpf.js';
import { runBpfmaps, runMmap, type Workload } from './workloads.js';
import { runScrape } from './scrape.js';

const args = yargs(hideBin(process.argv))
  .option('n', {
    type: 'string',
    default: '200000,1000000',
    describe: 'entries per workload: one size, or several comma-separated',
  })
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
  .option('event-seconds', {
    type: 'number',
    default: 0.5,
    describe: 'seconds the producer sends at each rate of the events ladder',
  })
  .option('event-rate', {
    type: 'number',
    default: 100_000,
    describe: 'events a second in the latency run (three seconds, the first left out)',
  })
  .option('only', {
    type: 'string',
    describe: 'run only these workloads (comma-separated), for a quick look',
  })
  .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of a table' })
  .strict()
  .parseSync();

const C_BENCH = fileURLToPath(new URL('../build/bench-c', import.meta.url));
const sizes = String(args.n)
  .split(',')
  .map((s) => Number(s.trim()));
if (sizes.some((n) => !Number.isInteger(n) || n < 1))
  throw new Error(`--n: whole numbers, received ${args.n}`);
const largest = Math.max(...sizes);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function runC(workload: Workload, n: number): number {
  return Number(
    execFileSync(C_BENCH, [workload, String(n), String(args.batch)], {
      encoding: 'utf8',
    }).trim(),
  );
}

interface Row {
  workload: string;
  n: number;
  /** Nanoseconds per operation (per entry for entries/setMany), medians. */
  c?: number;
  bpfmaps: number;
  nodeBpf?: number;
  /** bpfmaps / C: how many times C's time bpfmaps takes (median, and the rounds' lowest and highest). */
  ratio?: number;
  ratioMin?: number;
  ratioMax?: number;
  nodeBpfRatio?: number;
  target?: string;
}

/** Targets as time ratios to C: at most these (getMany and addMany: at least 5x faster than C's loop). */
const TARGETS: Partial<Record<Workload, number>> = {
  get: 1.15,
  set: 1.15,
  delete: 1.15,
  entries: 1.25,
  setMany: 1.25,
  getMany: 0.2,
  addMany: 0.2,
};
/** get() over the FFI floor (the same lookup through koffi, nothing encoded): at most this. */
const FLOOR_TARGET = 1.1;
const workloads: Workload[] = [
  'set',
  'get',
  'floor',
  'delete',
  'entries',
  'setMany',
  'getMany',
  'hasMany',
  'addMany',
  'percpuGet',
];
const only = args.only?.split(',').map((w) => w.trim());
if (only) workloads.splice(0, workloads.length, ...workloads.filter((w) => only.includes(w)));
const rows: Row[] = [];
const floorRatios: { n: number; median: number; min: number; max: number }[] = [];
for (const n of sizes) {
  const samplesOf = new Map<Workload, number[]>();
  for (const workload of workloads) {
    const samples = { c: [] as number[], bpfmaps: [] as number[], nodeBpf: [] as number[] };
    for (let r = 0; r < args.rounds; r++) {
      samples.c.push(runC(workload, n) / n);
      samples.bpfmaps.push(runBpfmaps(workload, n, args.batch) / n);
      const peer = runNodeBpf(workload, n);
      if (peer !== undefined) samples.nodeBpf.push(peer / n);
    }
    samplesOf.set(workload, samples.bpfmaps);
    const c = median(samples.c);
    const bpfmaps = median(samples.bpfmaps);
    const nodeBpf = samples.nodeBpf.length ? median(samples.nodeBpf) : undefined;
    const ratios = samples.bpfmaps.map((b, i) => b / samples.c[i]!);
    const target = TARGETS[workload];
    rows.push({
      workload,
      n,
      c,
      bpfmaps,
      nodeBpf,
      ratio: median(ratios),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
      nodeBpfRatio: nodeBpf === undefined ? undefined : nodeBpf / c,
      target: target === undefined ? undefined : `<= ${target}`,
    });
  }
  const gets = samplesOf.get('get');
  const floors = samplesOf.get('floor');
  if (!gets || !floors) continue;
  const overFloor = gets.map((g, i) => g / floors[i]!);
  floorRatios.push({
    n,
    median: median(overFloor),
    min: Math.min(...overFloor),
    max: Math.max(...overFloor),
  });
}

const codec = { generated: [] as number[], reference: [] as number[] };
const mmap = { mmap: [] as number[], field: [] as number[], batch: [] as number[] };
const codecN = Math.min(largest, 200_000);
for (let r = 0; r < args.rounds; r++) {
  const k = runCodecs(codecN);
  codec.generated.push(k.generated / codecN);
  codec.reference.push(k.reference / codecN);
  const m = runMmap(largest, args.batch);
  mmap.mmap.push(m.mmap / largest);
  mmap.field.push(m.field / largest);
  mmap.batch.push(m.batch / largest);
}
// Events: C and bpfmaps on the same producer, alternated; throughput flat out, latency paced.
ensureBpffs();
const consumers: Consumer[] = ['c', 'callback', 'iterator'];
const LOADED_RATE = 1_000_000;
const sustained = { c: [], callback: [], iterator: [] } as Record<Consumer, Sustained[]>;
const paced = { c: [], callback: [], iterator: [] } as Record<Consumer, EventsRun[]>;
const loaded = { c: [], callback: [], iterator: [] } as Record<Consumer, EventsRun[]>;
for (let r = 0; r < args.rounds; r++) {
  for (const consumer of consumers) {
    sustained[consumer].push(await sustainedRate(consumer, args.eventSeconds));
    // What reading costs the consumer's CPU, per event, at a rate every consumer keeps up with.
    loaded[consumer].push(
      await runEvents(consumer, LOADED_RATE * args.eventSeconds * 2, LOADED_RATE, {
        wakeupEvery: 64,
      }),
    );
    // Three seconds, the first left out of the latencies: steady state, as a long-running tool sees.
    paced[consumer].push(
      await runEvents(consumer, 3 * args.eventRate, args.eventRate, { warmup: args.eventRate }),
    );
  }
}
function spread(xs: number[]) {
  return {
    median: median(xs),
    min: Math.min(...xs),
    max: Math.max(...xs),
  };
}
const eventsOf = (consumer: Consumer) => ({
  sustained: spread(sustained[consumer].map((x) => x.rate)),
  /** Rounds in which the producer, not the consumer, set the limit. */
  producerBound: sustained[consumer].filter((x) => x.producerBound).length,
  cpuPerEvent: spread(loaded[consumer].map((x) => x.cpuPerEvent)),
  /** CPU per event over C's (lower is better). */
  cpuRatio: spread(loaded.c.map((c, i) => loaded[consumer][i]!.cpuPerEvent / c.cpuPerEvent)),
  p50: spread(paced[consumer].map((x) => x.p50)),
  p99: spread(paced[consumer].map((x) => x.p99)),
  /** The sustained rate over C's, round by round (higher is better). */
  ratio: spread(sustained.c.map((c, i) => sustained[consumer][i]!.rate / c.rate)),
});
const events = {
  seconds: args.eventSeconds,
  pacedRate: args.eventRate,
  loadedRate: LOADED_RATE,
  c: eventsOf('c'),
  callback: eventsOf('callback'),
  iterator: eventsOf('iterator'),
  target: '>= 0.8',
};

// The exporter: one scrape of a map of 100,000 entries, against C reading the same map.
const SCRAPE_N = Math.min(largest, 100_000);
const scrapes = { c: [] as number[], bpfmaps: [] as number[] };
for (let r = 0; r < args.rounds; r++) {
  scrapes.c.push(runC('entries', SCRAPE_N));
  scrapes.bpfmaps.push(await runScrape(SCRAPE_N));
}
const scrape = {
  n: SCRAPE_N,
  ms: spread(scrapes.bpfmaps.map((t) => t / 1e6)),
  perEntry: spread(scrapes.bpfmaps.map((t) => t / SCRAPE_N)),
  overRead: spread(scrapes.bpfmaps.map((t, i) => t / scrapes.c[i]!)),
  target: '< 1000 ms for 100,000 entries',
};

const memory = JSON.parse(
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--expose-gc',
      fileURLToPath(new URL('./memory.ts', import.meta.url)),
      String(largest),
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
    n: largest,
    mmap: median(mmap.mmap),
    field: median(mmap.field),
    batch: median(mmap.batch),
    /** Whole values decoded through the mapping, over batch lookup. */
    speedup: median(mmap.batch) / median(mmap.mmap),
    /** One field read through the mapping, over batch lookup, round by round. */
    fieldSpeedup: spread(mmap.batch.map((b, i) => b / mmap.field[i]!)),
    target: '>= 10 (field reads)',
  },
  floor: { ratios: floorRatios, target: `<= ${FLOOR_TARGET}` },
  scrape,
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
      { sizes, rounds: args.rounds, batch: args.batch, machine, rows, ...extra, events },
      null,
      2,
    ),
  );
} else {
  const ops = (ns: number | undefined) =>
    ns === undefined ? '-' : Math.round(1e9 / ns).toLocaleString('en-US');
  const x = (r: number | undefined) => (r === undefined ? '-' : r.toFixed(2));
  const met = (r: Row) =>
    r.target === undefined || r.ratioMax === undefined
      ? ''
      : r.ratioMax <= Number(r.target.slice(3))
        ? 'met'
        : r.ratio! <= Number(r.target.slice(3))
          ? 'median only'
          : 'missed';
  console.log(
    `bpfmaps bench: ${args.rounds} rounds alternated, medians (and the rounds' spread); ${machine.cpu} x${machine.cores}, Linux ${machine.kernel}, Node ${machine.node}`,
  );
  for (const n of sizes) {
    console.log(`\nn = ${n.toLocaleString('en-US')}`);
    console.log(
      `${'workload'.padEnd(11)} ${'C ops/s'.padStart(12)} ${'bpfmaps ops/s'.padStart(14)} ${'node_bpf ops/s'.padStart(15)} ${'bpfmaps/C'.padStart(18)} ${'node_bpf/C'.padStart(11)} ${'target'.padStart(8)}`,
    );
    for (const r of rows.filter((row) => row.n === n)) {
      const ratio = `${x(r.ratio)} (${x(r.ratioMin)}-${x(r.ratioMax)})`;
      console.log(
        `${r.workload.padEnd(11)} ${ops(r.c).padStart(12)} ${ops(r.bpfmaps).padStart(14)} ${ops(r.nodeBpf).padStart(15)} ${ratio.padStart(18)} ${x(r.nodeBpfRatio).padStart(11)} ${(r.target ?? '').padStart(8)} ${met(r)}`,
      );
    }
    const f = floorRatios.find((fr) => fr.n === n);
    if (f)
      console.log(
        `get over the FFI floor (the same lookup through koffi, nothing encoded): ${x(f.median)} (${x(f.min)}-${x(f.max)}), target <= ${FLOOR_TARGET}`,
      );
  }
  console.log(
    '(time ratios: bpfmaps/C = 1.10 means 10% slower than C, 0.20 five times faster; C does getMany, hasMany and addMany key by key, as bpf(2) alone can; node_bpf does no encoding or decoding)',
  );
  console.log(
    `codec encode+decode: generated ${ops(extra.codec.generated)}/s, typed-binary reference ${ops(extra.codec.reference)}/s: ${extra.codec.speedup.toFixed(1)}x faster`,
  );
  console.log(
    `mmap'ed array (n = ${largest.toLocaleString('en-US')}): one field ${ops(extra.mmap.field)}/s, whole values ${ops(extra.mmap.mmap)}/s, vs batch lookup ${ops(extra.mmap.batch)}/s: field reads ${extra.mmap.fieldSpeedup.median.toFixed(1)}x (${extra.mmap.fieldSpeedup.min.toFixed(1)}-${extra.mmap.fieldSpeedup.max.toFixed(1)}) faster (target >= 10x), whole values ${extra.mmap.speedup.toFixed(1)}x`,
  );
  console.log(
    `exporter scrape of ${scrape.n.toLocaleString('en-US')} entries: ${scrape.ms.median.toFixed(0)} ms (${scrape.ms.min.toFixed(0)}-${scrape.ms.max.toFixed(0)}), ${scrape.perEntry.median.toFixed(0)} ns an entry, ${scrape.overRead.median.toFixed(1)}x C's read of the map (target < 1000 ms)`,
  );
  const us = (ns: number) => `${(ns / 1000).toFixed(0)} us`;
  const range = (x: { median: number; min: number; max: number }, show: (n: number) => string) =>
    `${show(x.median)} (${show(x.min)}-${show(x.max)})`;
  const rate = (n: number) => `${(n / 1e6).toFixed(2)}M/s`;
  console.log(
    `events: the highest rate each consumer keeps up with (nothing lost in ${args.eventSeconds} s), then latency at ${args.eventRate.toLocaleString('en-US')}/s after a second's warm-up; medians (min-max) of ${args.rounds} rounds`,
  );
  for (const consumer of consumers) {
    const x = events[consumer];
    const name = {
      c: 'C ring_buffer__poll',
      callback: 'bpfmaps subscribe()',
      iterator: 'bpfmaps for await',
    }[consumer];
    const bound = x.producerBound ? ` (the producer's limit in ${x.producerBound} rounds)` : '';
    const ratio =
      consumer === 'c' ? '' : `, x${range(x.ratio, (n) => n.toFixed(2))} of C (target >= 0.8)`;
    const cpu = `${x.cpuPerEvent.median.toFixed(0)} ns CPU an event at 1M/s${consumer === 'c' ? '' : ` (x${x.cpuRatio.median.toFixed(1)} C's)`}`;
    console.log(
      `  ${name.padEnd(20)} ${range(x.sustained, rate)}${bound}${ratio}; ${cpu}; latency p50 ${range(x.p50, us)}, p99 ${range(x.p99, us)}`,
    );
  }
  console.log(
    `streaming entries() over ${extra.memory.entries.toLocaleString('en-US')} entries: peak RSS growth ${extra.memory.growthMiB.toFixed(1)} MiB (target < 64 MiB), peak heap growth ${extra.memory.heapGrowthMiB.toFixed(1)} MiB`,
  );
}
