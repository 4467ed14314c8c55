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
import { METRIC_NAME, planMap, type MapPlan } from './plan.js';
import { blockHead, labelPairs, labelValue, Output, RENDER, valueText } from './render.js';

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

/**
 * One read of a map, column by column. A scrape of a large map is mostly
 * allocation, and what outlives the read is what costs the GC: here an
 * entry leaves its label text, as bytes in one buffer, and its numbers in
 * shared arrays; the text is then written byte by byte.
 */
interface Snapshot {
  /** The series to write, in order: past the cap, the kept ones, then `other`. */
  order: number[];
  /** Each series' labels as UTF-8 text, `a="x",b="y"`, one after another: series s ends at ends[s]. */
  labelText: Output;
  ends: number[];
  /** Label values, plan.labels.length per series: read only for prom-client's own rendering. */
  values: string[] | undefined;
  /** plan.numbers.length per series. */
  numbers: number[];
  /** Every histogram's slots, one histogram after another, per series. */
  slots: number[];
  /** Entries summed into `other`. */
  aggregated: number;
}

/**
 * The series of a read by their label text, to find a key that reads like
 * one before it. By a hash of the text, not the text: a map of strings
 * would keep every label text alive as an object, which is what the
 * columns avoid; the rare equal hash is settled by the bytes written.
 */
class SeriesIndex {
  readonly #first = new Map<number, number>();
  #more: Map<number, number[]> | undefined;
  readonly #snap: Snapshot;

  constructor(snap: Snapshot) {
    this.#snap = snap;
  }

  /** The series whose labels read `pairs`, if one does. */
  find(pairs: string): number | undefined {
    const hash = fnv1a(pairs);
    const first = this.#first.get(hash);
    if (first === undefined) return undefined;
    if (this.#text(first) === pairs) return first;
    return this.#more?.get(hash)?.find((s) => this.#text(s) === pairs);
  }

  /** The series whose labels read `pairs`, or else `next`, which becomes theirs. */
  seriesOf(pairs: string, next: number): number {
    const hash = fnv1a(pairs);
    const first = this.#first.get(hash);
    if (first === undefined) {
      this.#first.set(hash, next);
      return next;
    }
    // The same hash: the same text (a key that reads like another), or rarely, another text.
    if (this.#text(first) === pairs) return first;
    this.#more ??= new Map();
    const more = this.#more.get(hash) ?? [];
    const same = more.find((s) => this.#text(s) === pairs);
    if (same !== undefined) return same;
    more.push(next);
    this.#more.set(hash, more);
    return next;
  }

  #text(s: number): string {
    const { labelText, ends } = this.#snap;
    return labelText.view().toString('utf8', s ? ends[s - 1] : 0, ends[s]);
  }
}

/** FNV-1a over UTF-16 units, kept to 30 bits: a small integer V8 stores without allocating. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash & 0x3fffffff;
}

/** Collects one map's metrics; register() adds them to a prom-client registry. */
export class MapCollector {
  readonly plan: MapPlan;
  readonly #map: KeyedMap<unknown, unknown>;
  readonly #perCpu: boolean;
  readonly #prefix: string;
  readonly #max: number;
  #snapshot: Snapshot | undefined;
  /** `name="` of each label, escaped once. */
  readonly #labelHeads: string[];
  /** The slots of all histograms of a series. */
  readonly #slotCount: number;
  /** The label text of the last read, its memory kept from one scrape to the next. */
  readonly #labelText = new Output();

  constructor({ decl, map }: ExportedMap, options: CollectorOptions = {}) {
    if (!decl.kind.parts.includes('value') || typeof map.entries !== 'function')
      throw new BpfError({
        code: 'NOT_SUPPORTED',
        op: 'export',
        target: decl.name,
        detail: `a ${decl.kind.name} map has no entries to export; export maps with keys and values`,
      });
    const raw = (map as Partial<{ raw: { info?: { keySize: number; valueSize: number } } }>).raw;
    const sizes = raw?.info;
    if (
      sizes &&
      decl.key &&
      decl.value &&
      (sizes.keySize !== decl.key.size || sizes.valueSize !== decl.value.size)
    )
      throw new BpfError({
        code: 'INCOMPATIBLE',
        op: 'export',
        target: decl.name,
        detail: `the map given for it has keys of ${sizes.keySize} and values of ${sizes.valueSize} bytes, the declaration ${decl.key.size} and ${decl.value.size}: pair each declaration with its own map`,
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
    if (!METRIC_NAME.test(`${this.#prefix}x`))
      throw new BpfError({
        code: 'INVALID',
        op: 'export',
        target: decl.name,
        detail: `prefix ${JSON.stringify(this.#prefix)} cannot start a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)`,
      });
    this.#max = options.maxSeries ?? 10_000;
    this.#labelHeads = this.plan.labels.map((l) => `${l.name}="`);
    this.#slotCount = this.plan.histograms.reduce((n, h) => n + h.slots, 0);
    if (!Number.isInteger(this.#max) || this.#max < 1)
      throw new BpfError({
        code: 'INVALID',
        op: 'export',
        target: decl.name,
        detail: `maxSeries must be a whole number of at least 1, received ${String(options.maxSeries)}`,
      });
  }

  /**
   * Reads the map once per scrape: metrics asked for in the same turn share
   * the read (a read with label values serves both kinds of rendering).
   */
  #read(withValues = false): Snapshot {
    const cached = this.#snapshot;
    if (cached && (cached.values || !withValues)) return cached;
    const { labels, numbers: numberPlans, histograms } = this.plan;
    const text = this.#labelText;
    text.clear();
    const snap: Snapshot = {
      order: [],
      labelText: text,
      ends: [],
      values: withValues ? [] : undefined,
      numbers: [],
      slots: [],
      aggregated: 0,
    };
    // Keys that read the same (two comms of invalid UTF-8 both decode to U+FFFD) are one series, summed:
    // a metric may not repeat a label set.
    const seen = new SeriesIndex(snap);
    const nn = numberPlans.length;
    const values: string[] = [];
    for (const [key, value] of this.#map.entries({ batchSize: 1024 })) {
      let pairs = '';
      values.length = 0;
      for (let l = 0; l < labels.length; l++) {
        const label = labels[l]!.read(key);
        values.push(label);
        pairs += `${l ? ',' : ''}${this.#labelHeads[l]}${labelValue(label)}"`;
      }
      const s = seen.seriesOf(pairs, snap.ends.length);
      if (s === snap.ends.length) {
        text.text(pairs);
        snap.order.push(s);
        snap.ends.push(text.length);
        snap.values?.push(...values);
        for (let i = 0; i < nn; i++) snap.numbers.push(0);
        for (let j = 0; j < this.#slotCount; j++) snap.slots.push(0);
      }
      const numbers = snap.numbers;
      const base = s * nn;
      if (!this.#perCpu) {
        for (let i = 0; i < nn; i++) numbers[base + i]! += numberPlans[i]!.read(value);
      } else {
        for (const c of value as unknown[])
          for (let i = 0; i < nn; i++) numbers[base + i]! += numberPlans[i]!.read(c);
      }
      let at = s * this.#slotCount;
      for (const h of histograms) {
        for (const c of this.#perCpu ? (value as unknown[]) : [value])
          h.read(c).forEach((x, j) => (snap.slots[at + j]! += x));
        at += h.slots;
      }
    }
    if (snap.order.length > this.#max) this.#cap(snap, seen);
    this.#snapshot = snap;
    setImmediate(() => (this.#snapshot = undefined));
    return snap;
  }

  /** Keeps the largest series (by the first number, as top talkers are) and sums the rest into a series `other`. */
  #cap(snap: Snapshot, seen: SeriesIndex): void {
    const nn = this.plan.numbers.length;
    const ns = this.#slotCount;
    const { numbers, slots } = snap;
    if (nn > 0) snap.order.sort((a, b) => numbers[b * nn]! - numbers[a * nn]!);
    const otherPairs = this.#labelHeads.map((head) => `${head}other"`).join(',');
    const rest = snap.order.splice(this.#max - 1);
    const other = snap.ends.length;
    for (let k = 0; k < nn; k++)
      numbers.push(rest.reduce((sum, i) => sum + numbers[i * nn + k]!, 0));
    for (let k = 0; k < ns; k++) slots.push(rest.reduce((sum, i) => sum + slots[i * ns + k]!, 0));
    snap.labelText.text(otherPairs);
    snap.ends.push(snap.labelText.length);
    snap.values?.push(...this.plan.labels.map(() => 'other'));
    // A key whose labels already read other is that series: kept, it joins the sum.
    const same = seen.find(otherPairs);
    const kept = same === undefined ? -1 : snap.order.indexOf(same);
    if (same !== undefined && kept >= 0) {
      snap.order.splice(kept, 1);
      for (let k = 0; k < nn; k++) numbers[other * nn + k]! += numbers[same * nn + k]!;
      for (let k = 0; k < ns; k++) slots[other * ns + k]! += slots[same * ns + k]!;
    }
    snap.order.push(other);
    snap.aggregated = rest.length;
  }

  /** Series s's labels as an object, for prom-client. */
  #labelsOf(snap: Snapshot, s: number): Labels {
    const labels: Labels = {};
    const nl = this.plan.labels.length;
    this.plan.labels.forEach((l, i) => (labels[l.name] = snap.values![s * nl + i]!));
    return labels;
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
    const nn = this.plan.numbers.length;
    const numbers = this.plan.numbers.map((n, i) => {
      const name = `${base}_${n.name}${n.kind === 'counter' ? '_total' : ''}`;
      const head = Buffer.from(`\n${name}`);
      return this.#metric(
        name,
        n.help,
        n.kind,
        () => {
          const snap = this.#read(true);
          return snap.order.map((s) => ({
            value: snap.numbers[s * nn + i]!,
            labels: this.#labelsOf(snap, s),
          }));
        },
        (snap, out) => {
          const labels = snap.labelText.view();
          for (const s of snap.order) {
            const start = s ? snap.ends[s - 1]! : 0;
            const end = snap.ends[s]!;
            out.reserve(head.length + (end - start) + 3 + 24);
            out.copy(head);
            if (end > start) (out.byte(0x7b), out.copy(labels, start, end), out.byte(0x7d));
            out.byte(0x20);
            out.value(snap.numbers[s * nn + i]!);
          }
        },
      );
    });
    let first = 0;
    const histograms = this.plan.histograms.map((h) => {
      const name = `${base}_${h.name}`;
      const from = first;
      first += h.slots;
      // Slot j holds values in [2^j, 2^(j+1)); its upper bound, inclusive, is 2^(j+1) - 1.
      const bounds = [...Array.from({ length: h.slots }, (_, j) => 2 ** (j + 1) - 1), '+Inf'];
      // The slots give no exact sum: each slot's values are counted at its middle.
      const middles = Array.from({ length: h.slots }, (_, j) => (j === 0 ? 0.5 : 1.5 * 2 ** j));
      const bucketHead = Buffer.from(`\n${name}_bucket{`);
      const bucketTails = bounds.map((b) => Buffer.from(`le="${b}"} `));
      const sumHead = Buffer.from(`\n${name}_sum`);
      const countHead = Buffer.from(`\n${name}_count`);
      const slotsOf = (snap: Snapshot, s: number) => {
        const at = s * this.#slotCount + from;
        return snap.slots.slice(at, at + h.slots);
      };
      return this.#metric(
        name,
        h.help,
        'histogram',
        () => {
          const snap = this.#read(true);
          return snap.order.flatMap((s) => {
            const labels = this.#labelsOf(snap, s);
            let cumulative = 0;
            const buckets = slotsOf(snap, s).map((count) => (cumulative += count));
            const sum = slotsOf(snap, s).reduce((t, count, j) => t + count * middles[j]!, 0);
            return [
              ...[...buckets, cumulative].map((value, j) => ({
                metricName: `${name}_bucket`,
                labels: { ...labels, le: bounds[j]! },
                value,
              })),
              { metricName: `${name}_sum`, labels, value: sum },
              { metricName: `${name}_count`, labels, value: cumulative },
            ] as MetricValue<string>[];
          });
        },
        (snap, out) => {
          const labels = snap.labelText.view();
          const line = (head: Buffer, start: number, end: number, value: number) => {
            out.reserve(head.length + (end - start) + 3 + 24);
            out.copy(head);
            if (end > start) (out.byte(0x7b), out.copy(labels, start, end), out.byte(0x7d));
            out.byte(0x20);
            out.value(value);
          };
          for (const s of snap.order) {
            const start = s ? snap.ends[s - 1]! : 0;
            const end = snap.ends[s]!;
            const at = s * this.#slotCount + from;
            let cumulative = 0;
            let sum = 0;
            for (let j = 0; j <= h.slots; j++) {
              if (j < h.slots) {
                const count = snap.slots[at + j]!;
                cumulative += count;
                sum += count * middles[j]!;
              }
              const tail = bucketTails[j]!;
              out.reserve(bucketHead.length + (end - start) + 1 + tail.length + 24);
              out.copy(bucketHead);
              if (end > start) (out.copy(labels, start, end), out.byte(0x2c));
              out.copy(tail);
              out.value(cumulative);
            }
            line(sumHead, start, end, sum);
            line(countHead, start, end, cumulative);
          }
        },
      );
    });
    const aggregated = this.#metric(
      `${this.#prefix}exporter_series_aggregated`,
      'Entries summed into the series labelled other, past the cardinality cap (maxSeries)',
      'gauge',
      () => [{ value: this.#read(true).aggregated, labels: { map: this.plan.map } }],
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
  // A rename that names no key field is a typo: say so rather than export under the old name.
  for (const from of Object.keys(options.labels ?? {})) {
    const [map, field] = from.includes('.') ? from.split('.', 2) : [undefined, from];
    const used = collectors.some(
      (c) => (map === undefined || c.plan.map === map) && c.plan.keyFields.includes(field!),
    );
    if (!used)
      throw new BpfError({
        code: 'INVALID',
        op: 'export',
        target: maps.map((m) => m.decl.name).join(', '),
        detail: `label ${from}: ${map === undefined ? 'no map exported has' : `map ${map} is not exported, or has no`} key field ${field} (key fields: ${collectors.map((c) => `${c.plan.map}: ${c.plan.keyFields.join(', ') || 'none'}`).join('; ')})`,
      });
  }
  const all = collectors.map((c) => c.metrics());
  // Every name checked before any is registered: a clash leaves the registry as it was.
  const owners = new Map<string, string>();
  const names = (m: { name: string }, i: number, suffixes: readonly string[]) =>
    suffixes.map((suffix) => [`${m.name}${suffix}`, maps[i]!.decl.name] as const);
  all.forEach(({ numbers, histograms, aggregated }, i) => {
    for (const [name, map] of [
      ...numbers.flatMap((m) => names(m, i, [''])),
      ...histograms.flatMap((m) => names(m, i, ['', '_bucket', '_sum', '_count'])),
      ...(i === 0 && !gauges.get(registry)?.has(aggregated.name) ? names(aggregated, i, ['']) : []),
    ]) {
      const other =
        owners.get(name) ?? (registry.getSingleMetric(name) ? 'the registry' : undefined);
      if (other !== undefined)
        throw new BpfError({
          code: 'INVALID',
          op: 'export',
          target: map,
          detail: `its metric ${name} is already ${other === 'the registry' ? 'in the registry' : `a metric of map ${other}`}: rename a field, or give a prefix`,
        });
      owners.set(name, map);
    }
  });
  for (const { numbers, histograms } of all)
    for (const metric of [...numbers, ...histograms]) registry.registerMetric(metric as never);
  const first = all[0]?.aggregated;
  if (!first) return collectors;
  // One aggregated gauge per registry (and prefix): a later call's maps join it.
  const byName = gauges.get(registry) ?? new Map<string, Aggregated>();
  gauges.set(registry, byName);
  const joined = byName.get(first.name);
  if (joined) {
    joined.push(...all.map((a, i) => ({ metric: a.aggregated, collector: collectors[i]! })));
    return collectors;
  }
  const members: Aggregated = all.map((a, i) => ({
    metric: a.aggregated,
    collector: collectors[i]!,
  }));
  byName.set(first.name, members);
  registry.registerMetric({
    ...first,
    get: async () => {
      const parts = await Promise.all(members.map((m) => m.metric.get()));
      return { ...parts[0]!, values: parts.flatMap((p) => p.values) };
    },
    [RENDER]: (out: Output) => {
      out.text(blockHead(first.name, first.help, first.type));
      for (const { collector } of members) out.text(collector.aggregatedLine());
    },
  } as never);
  return collectors;
}

/** The maps whose counts of entries summed into other one aggregated gauge says. */
type Aggregated = {
  metric: ReturnType<MapCollector['metrics']>['aggregated'];
  collector: MapCollector;
}[];

/** The aggregated gauges registerMaps made, per registry, by name. */
const gauges = new WeakMap<Registry, Map<string, Aggregated>>();
