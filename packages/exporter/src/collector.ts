/**
 * Map metrics for prom-client: one custom metric per counter, gauge and
 * histogram of each map's plan, all fed by one read of the map per scrape
 * (a batch lookup walk), reduced over CPUs for per-CPU maps, and held to a
 * cardinality cap: past it the smallest entries are summed into one series
 * labelled `other`, and a gauge says how many were.
 */
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { BpfError, type KeyedMap } from '@bpfmaps/runtime';
import type { MapDecl } from '@bpfmaps/schema';
import { planMap, type MapPlan } from './plan.js';
import { blockHead, labelPairs, RENDER, valueText, type Output } from './render.js';

export interface CollectorOptions {
  /** Metric name prefix (default `bpfmaps_`). */
  prefix?: string;
  /** Other names for labels: `{ saddr: 'src' }`, or per map `{ 'flows.saddr': 'src' }`. */
  labels?: Readonly<Record<string, string>>;
  /** Series per map at most (default 10,000); the rest are summed into `other`. */
  maxSeries?: number;
}

/** A map to export: its declaration and an open accessor over it (a keyed map). */
export interface ExportedMap {
  decl: MapDecl;
  map: KeyedMap<unknown, unknown>;
}

type Labels = Record<string, string>;

/** One series: an entry's labels, its numbers and histogram slots. */
interface Series {
  labels: Labels;
  numbers: number[];
  histograms: number[][];
  /** The labels as text (`a="x",b="y"`), formatted once for all the metrics of the entry. */
  pairs?: string;
}

/** One read of a map: the series after the cap. */
interface Snapshot {
  series: Series[];
  aggregated: number;
}

const pairsOf = (s: Series) => (s.pairs ??= labelPairs(s.labels));
const braced = (pairs: string) => (pairs ? `{${pairs}}` : '');

/** Sums per-CPU copies field by field: a per-CPU map's value is an array of them. */
function reduceCpus(plan: MapPlan, value: unknown, perCpu: boolean) {
  const copies = perCpu ? (value as unknown[]) : [value];
  const numbers = plan.numbers.map((n) => copies.reduce<number>((s, c) => s + n.read(c), 0));
  const histograms = plan.histograms.map((h) => {
    const sum = new Array<number>(h.slots).fill(0);
    for (const c of copies) h.read(c).forEach((x, i) => (sum[i]! += x));
    return sum;
  });
  return { numbers, histograms };
}

/** Collects one map's metrics; register() adds them to a prom-client registry. */
export class MapCollector {
  readonly plan: MapPlan;
  readonly #map: KeyedMap<unknown, unknown>;
  readonly #perCpu: boolean;
  readonly #prefix: string;
  readonly #max: number;
  #snapshot: Snapshot | undefined;

  constructor({ decl, map }: ExportedMap, options: CollectorOptions = {}) {
    if (!decl.kind.parts.includes('value') || typeof map.entries !== 'function')
      throw new BpfError({
        code: 'NOT_SUPPORTED',
        op: 'export',
        target: decl.name,
        detail: `a ${decl.kind.name} map has no entries to export; export maps with keys and values`,
      });
    const renames = Object.fromEntries(
      Object.entries(options.labels ?? {}).flatMap(([from, to]) => {
        const [map, field] = from.includes('.') ? from.split('.', 2) : [undefined, from];
        return map === undefined || map === decl.name ? [[field!, to]] : [];
      }),
    );
    this.plan = planMap(decl, renames);
    this.#map = map;
    this.#perCpu = decl.kind.perCpu;
    this.#prefix = options.prefix ?? 'bpfmaps_';
    this.#max = options.maxSeries ?? 10_000;
    if (!Number.isInteger(this.#max) || this.#max < 1)
      throw new BpfError({
        code: 'INVALID',
        op: 'export',
        target: decl.name,
        detail: `maxSeries must be a whole number of at least 1, received ${String(options.maxSeries)}`,
      });
  }

  /** Reads the map once per scrape: metrics asked for in the same turn share the read. */
  #read(): Snapshot {
    if (this.#snapshot) return this.#snapshot;
    const series: Snapshot['series'] = [];
    for (const [key, value] of this.#map.entries({ batchSize: 1024 })) {
      const labels: Labels = {};
      for (const l of this.plan.labels) labels[l.name] = l.read(key);
      series.push({ labels, ...reduceCpus(this.plan, value, this.#perCpu) });
    }
    let aggregated = 0;
    if (series.length > this.#max) {
      // Keep the largest (by the first number, as top talkers are), sum the rest into one series.
      series.sort((a, b) => (b.numbers[0] ?? 0) - (a.numbers[0] ?? 0));
      const rest = series.splice(this.#max - 1);
      aggregated = rest.length;
      const other = {
        labels: Object.fromEntries(this.plan.labels.map((l) => [l.name, 'other'])),
        numbers: this.plan.numbers.map((_, i) => rest.reduce((s, r) => s + r.numbers[i]!, 0)),
        histograms: this.plan.histograms.map((h, i) =>
          Array.from({ length: h.slots }, (_, j) =>
            rest.reduce((s, r) => s + r.histograms[i]![j]!, 0),
          ),
        ),
      };
      series.push(other);
    }
    this.#snapshot = { series, aggregated };
    setImmediate(() => (this.#snapshot = undefined));
    return this.#snapshot;
  }

  #metric(
    name: string,
    help: string,
    type: 'counter' | 'gauge' | 'histogram',
    values: () => MetricValue<string>[],
    render: (snapshot: Snapshot, out: Output) => void,
  ) {
    return {
      name,
      help,
      type,
      aggregator: 'sum' as const,
      get: async (): Promise<MetricObjectWithValues<MetricValue<string>>> => ({
        name,
        help,
        type: type as never,
        aggregator: 'sum',
        collect: () => undefined,
        values: values(),
      }),
      reset: () => undefined,
      [RENDER]: (out: Output) => {
        out.text(blockHead(name, help, type));
        render(this.#read(), out);
      },
    };
  }

  /** The metrics of the map, for a registry: `registry.registerMetric(m)` for each. */
  metrics() {
    const base = `${this.#prefix}${this.plan.map}`;
    const numbers = this.plan.numbers.map((n, i) => {
      const name = `${base}_${n.name}${n.kind === 'counter' ? '_total' : ''}`;
      return this.#metric(
        name,
        n.help,
        n.kind,
        () => this.#read().series.map((s) => ({ value: s.numbers[i]!, labels: s.labels })),
        ({ series }, out) => {
          for (const s of series)
            out.text(`\n${name}${braced(pairsOf(s))} ${valueText(s.numbers[i]!)}`);
        },
      );
    });
    const histograms = this.plan.histograms.map((h, i) => {
      const name = `${base}_${h.name}`;
      // Slot j holds values in [2^j, 2^(j+1)); its upper bound, inclusive, is 2^(j+1) - 1.
      const bounds = [...Array.from({ length: h.slots }, (_, j) => 2 ** (j + 1) - 1), '+Inf'];
      const samples = (s: Series) => {
        const slots = s.histograms[i]!;
        const buckets: number[] = [];
        let cumulative = 0;
        let sum = 0;
        slots.forEach((count, j) => {
          cumulative += count;
          // The slots give no exact sum: each slot's values are counted at its middle.
          sum += count * (j === 0 ? 0.5 : 1.5 * 2 ** j);
          buckets.push(cumulative);
        });
        buckets.push(cumulative);
        return { buckets, sum, count: cumulative };
      };
      return this.#metric(
        name,
        h.help,
        'histogram',
        () =>
          this.#read().series.flatMap((s) => {
            const { buckets, sum, count } = samples(s);
            return [
              ...buckets.map((value, j) => ({
                metricName: `${name}_bucket`,
                labels: { ...s.labels, le: bounds[j]! },
                value,
              })),
              { metricName: `${name}_sum`, labels: s.labels, value: sum },
              { metricName: `${name}_count`, labels: s.labels, value: count },
            ] as MetricValue<string>[];
          }),
        ({ series }, out) => {
          for (const s of series) {
            const { buckets, sum, count } = samples(s);
            const pairs = pairsOf(s);
            const lead = pairs ? `${pairs},` : '';
            buckets.forEach((value, j) => {
              out.text(`\n${name}_bucket{${lead}le="${bounds[j]}"} ${valueText(value)}`);
            });
            out.text(`\n${name}_sum${braced(pairs)} ${valueText(sum)}`);
            out.text(`\n${name}_count${braced(pairs)} ${valueText(count)}`);
          }
        },
      );
    });
    const aggregated = this.#metric(
      `${this.#prefix}exporter_series_aggregated`,
      'Entries summed into the series labelled other, past the cardinality cap (maxSeries)',
      'gauge',
      () => [{ value: this.#read().aggregated, labels: { map: this.plan.map } }],
      (snapshot, out) => out.text(this.aggregatedLine(snapshot.aggregated)),
    );
    return { numbers, histograms, aggregated };
  }

  /** The sample line of the aggregated gauge for this map. */
  aggregatedLine(aggregated = this.#read().aggregated): string {
    const name = `${this.#prefix}exporter_series_aggregated`;
    return `\n${name}{${labelPairs({ map: this.plan.map })}} ${valueText(aggregated)}`;
  }
}

/** Registers the metrics of every map in `registry`; the maps' aggregated gauges share one metric. */
export function registerMaps(
  registry: Registry,
  maps: readonly ExportedMap[],
  options: CollectorOptions = {},
): MapCollector[] {
  const collectors = maps.map((m) => new MapCollector(m, options));
  const all = collectors.map((c) => c.metrics());
  for (const { numbers, histograms } of all)
    for (const metric of [...numbers, ...histograms]) registry.registerMetric(metric as never);
  const first = all[0]?.aggregated;
  if (first)
    registry.registerMetric({
      ...first,
      get: async () => {
        const parts = await Promise.all(all.map((a) => a.aggregated.get()));
        return { ...parts[0]!, values: parts.flatMap((p) => p.values) };
      },
      [RENDER]: (out: Output) => {
        out.text(blockHead(first.name, first.help, first.type));
        for (const c of collectors) out.text(c.aggregatedLine());
      },
    } as never);
  return collectors;
}
