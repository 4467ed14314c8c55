/**
 * What a map becomes as metrics, read off its schema declaration: each key
 * field a label, each number of the value a counter (fields marked
 * `.counter()`) or a gauge, a `slots` array of integers (libbpf-tools' log2
 * histograms) a histogram. Nothing is configured per map.
 */
import { BpfError } from '@bpfmaps/runtime';
import { isComposite, type CType, type MapDecl } from '@bpfmaps/schema';

/** A label, and how to read its text from a decoded key. */
export interface LabelPlan {
  name: string;
  read(key: unknown): string;
}

/** A number of the value, and what it is. */
export interface NumberPlan {
  /** Metric name, without the prefix and the map's name: `packets`, `stats_bytes`. */
  name: string;
  kind: 'counter' | 'gauge';
  help: string;
  read(value: unknown): number;
}

/** A log2 histogram: slot i counts values in [2^i, 2^(i+1)). */
export interface HistogramPlan {
  name: string;
  help: string;
  slots: number;
  read(value: unknown): readonly number[];
}

export interface MapPlan {
  map: string;
  /** The key's fields as labels are named before renames (`saddr`, `addr_v4`, `key`). */
  keyFields: string[];
  labels: LabelPlan[];
  numbers: NumberPlan[];
  histograms: HistogramPlan[];
  /** Fields left out (strings, bytes, arrays that are no histogram), for the exporter's notes. */
  skipped: string[];
}

type Path = readonly string[];

function at(value: unknown, path: Path): unknown {
  let v = value;
  for (const key of path) v = (v as Record<string, unknown>)[key];
  return v;
}

/** A decoded scalar as label text: addresses, enum names and strings are text already. */
export function labelText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (value === undefined) return '';
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
}

// A schema file is loaded apart (its own copy of @bpfmaps/schema): types are told by what they say, not instanceof.
/** Integers, floats, booleans and bitfields: what decodes to a number, a bigint or a boolean. */
function isNumber(type: CType<unknown>): boolean {
  return ['number', 'bigint', 'boolean'].includes(type.tsType);
}

/** A fixed array's element type and length (ArrayType), else undefined. */
function arrayOf(type: CType<unknown>): { element: CType<unknown>; length: number } | undefined {
  const a = type as Partial<{ element: CType<unknown>; length: number }>;
  return a.element && typeof a.length === 'number'
    ? { element: a.element, length: a.length }
    : undefined;
}

const toNumber = (v: unknown): number => (typeof v === 'boolean' ? Number(v) : Number(v));

/** The members of a struct or union as paths to leaves, anonymous members inlined, padding left out. */
function leaves(type: CType<unknown>, path: Path): { path: Path; type: CType<unknown> }[] {
  if (!isComposite(type)) return [{ path, type }];
  return type.members.flatMap((m) => {
    // Padding contributes no names; an anonymous member's names belong to this composite.
    const names = m.type.memberNames(m.name);
    if (names.length === 0) return [];
    const inner = (m.type as Partial<{ inner: CType<unknown> }>).inner;
    if (inner && isComposite(inner)) return leaves(inner, path);
    return leaves(m.type, [...path, m.name]);
  });
}

/**
 * The metrics of map `decl`. `rename` gives other names to labels
 * (`{ saddr: 'src' }`). A key of no struct is one label, `key`.
 */
export function planMap(decl: MapDecl, rename: Readonly<Record<string, string>> = {}): MapPlan {
  const plan: MapPlan = {
    map: decl.name,
    keyFields: [],
    labels: [],
    numbers: [],
    histograms: [],
    skipped: [],
  };
  if (decl.key) {
    for (const { path } of leaves(decl.key, [])) {
      const name = path.length ? path.join('_') : 'key';
      plan.keyFields.push(name);
      plan.labels.push({ name: rename[name] ?? name, read: (key) => labelText(at(key, path)) });
    }
  }
  if (!decl.value) return plan;
  for (const { path, type } of leaves(decl.value, [])) {
    const name = path.length ? path.join('_') : 'value';
    const help = type.meta.doc ?? `${decl.name}: ${path.length ? path.join('.') : 'the value'}`;
    if (isNumber(type)) {
      plan.numbers.push({
        name,
        kind: type.meta.counter ? 'counter' : 'gauge',
        help,
        read: (value) => toNumber(at(value, path)),
      });
    } else if (arrayOf(type) && isNumber(arrayOf(type)!.element) && path.at(-1) === 'slots') {
      plan.histograms.push({
        name,
        help,
        slots: arrayOf(type)!.length,
        read: (value) => (at(value, path) as unknown[]).map(toNumber),
      });
    } else {
      plan.skipped.push(path.join('.') || 'value');
    }
  }
  // A histogram's buckets carry the label le: a key field of that name steps aside.
  if (plan.histograms.length)
    for (const label of plan.labels) if (label.name === 'le') label.name = 'key_le';
  checkNames(decl.name, plan);
  return plan;
}

/** What Prometheus takes as a label name (`__` starts names it reserves) and as a metric name. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Label names Prometheus accepts, each once; metric names each once. */
function checkNames(map: string, plan: MapPlan): void {
  const invalid = (detail: string) =>
    new BpfError({ code: 'INVALID', op: 'export', target: map, detail });
  const seen = new Set<string>();
  for (const { name } of plan.labels) {
    if (!LABEL_NAME.test(name) || name.startsWith('__'))
      throw invalid(
        `label ${JSON.stringify(name)} is no Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`,
      );
    if (seen.has(name))
      throw invalid(`two key fields would both be labelled ${name}: rename one of them (labels)`);
    seen.add(name);
  }
  const metrics = new Map<string, string>();
  for (const n of plan.numbers) {
    const metric = `${n.name}${n.kind === 'counter' ? '_total' : ''}`;
    const other = metrics.get(metric);
    if (other !== undefined)
      throw invalid(
        `fields ${other} and ${n.name} would both be the metric ${plan.map}_${metric}: rename one of them`,
      );
    metrics.set(metric, n.name);
  }
  for (const h of plan.histograms)
    for (const suffix of ['', '_bucket', '_sum', '_count'])
      if (metrics.has(`${h.name}${suffix}`))
        throw invalid(
          `fields ${metrics.get(`${h.name}${suffix}`)} and ${h.name} would both be the metric ${plan.map}_${h.name}${suffix}: rename one of them`,
        );
}
