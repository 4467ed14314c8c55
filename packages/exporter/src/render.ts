/**
 * Prometheus text for a registry, the same text `registry.metrics()` writes,
 * at a fraction of its cost for map metrics. prom-client formats every
 * sample's labels anew (a map of 100,000 entries with four numbers costs it
 * 400,000 label sets, 1.6 s here); a map's metrics share one label set per
 * entry, so each map metric carries a renderer that formats it once.
 * Metrics of other origin are rendered by prom-client itself.
 */
import { Registry } from 'prom-client';

/** The renderer a map metric carries: writes its whole block of text, as prom-client would write it. */
export const RENDER: unique symbol = Symbol('bpfmaps.exporter.render');

export interface Renderable {
  [RENDER]?: (out: Output) => void;
}

/**
 * Bytes of text, in a buffer kept from one scrape to the next: a scrape of a
 * large map writes tens of megabytes, and touching fresh memory for them
 * each time costs more than writing them.
 */
export class Output {
  #bytes = Buffer.allocUnsafe(1 << 16);
  length = 0;

  /** Empties the output; its memory is kept. */
  clear(): void {
    this.length = 0;
  }

  text(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.reserve(3 * text.length);
    this.length += this.#bytes.write(text, this.length, 'utf8');
  }

  /** Room for `more` bytes: byte(), copy() and integer() write only into room reserved. */
  reserve(more: number): void {
    if (this.length + more > this.#bytes.length) this.#grow(more);
  }

  byte(byte: number): void {
    this.#bytes[this.length++] = byte;
  }

  /**
   * Bytes [start, end) of `from` (a byte loop: the pieces of a line are tens
   * of bytes, shorter than a native copy's own cost).
   */
  copy(from: Uint8Array, start = 0, end = from.length): void {
    const to = this.#bytes;
    let at = this.length;
    for (let i = start; i < end; i++) to[at++] = from[i]!;
    this.length = at;
  }

  /** A sample value as prom-client prints it: digits for a safe integer (within 24 bytes of room), else its text. */
  value(value: number): void {
    if (!Number.isSafeInteger(value)) return this.text(valueText(value));
    const to = this.#bytes;
    if (value < 0) ((to[this.length++] = 0x2d), (value = -value));
    let end = this.length;
    for (let v = value; v >= 10; v = Math.floor(v / 10)) end++;
    this.length = end + 1;
    do {
      to[end--] = 0x30 + (value % 10);
      value = Math.floor(value / 10);
    } while (value > 0);
  }

  /** The bytes written so far; valid until the next write. */
  view(): Buffer {
    return this.#bytes.subarray(0, this.length);
  }

  #grow(more: number): void {
    let size = this.#bytes.length * 2;
    while (size < this.length + more) size *= 2;
    const bytes = Buffer.allocUnsafe(size);
    this.#bytes.copy(bytes, 0, 0, this.length);
    this.#bytes = bytes;
  }
}

/** Outputs not in use, for the next scrape. */
const idle: Output[] = [];

/** As prom-client escapes names, help and label values. */
export function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A label value escaped as prom-client does; most need nothing done. */
export function labelValue(text: string): string {
  return /[\\\n"]/.test(text) ? escapeText(text).replace(/"/g, '\\"') : text;
}

/** `a="x",b="y"`: label values escaped as prom-client does (non-strings printed as they are). */
export function labelPairs(labels: Readonly<Record<string, string | number>>): string {
  let out = '';
  for (const name in labels) {
    const value = labels[name]!;
    const text = typeof value === 'string' ? labelValue(value) : value;
    out += `${out ? ',' : ''}${name}="${text}"`;
  }
  return out;
}

/** A sample value as prom-client prints it (its `Nan` included: Prometheus reads it). */
export function valueText(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

/** The HELP and TYPE lines that open a metric's block. */
export function blockHead(name: string, help: string, type: string): string {
  const escaped = escapeText(name);
  return `# HELP ${escaped} ${escapeText(help)}\n# TYPE ${escaped} ${type}`;
}

/** Whether prom-client would write the registry as renderBlocks does: Prometheus text, no default labels. */
function plain(registry: Registry): boolean {
  const defaults = (registry as unknown as { _defaultLabels?: object })._defaultLabels;
  return (
    registry.contentType === Registry.PROMETHEUS_CONTENT_TYPE &&
    defaults !== null &&
    typeof defaults === 'object' &&
    Object.keys(defaults).length === 0
  );
}

/**
 * Writes the registry's metrics into an output: the text `registry.metrics()`
 * returns. The map metrics write themselves; the others are prom-client's,
 * all gathered before anything is written, so that the write is one turn.
 */
async function renderBlocks(registry: Registry, out: Output): Promise<void> {
  const metrics = registry.getMetricsAsArray();
  const others = await Promise.all(
    metrics.map((m) =>
      (m as Renderable)[RENDER] ? undefined : registry.getSingleMetricAsString(m.name),
    ),
  );
  out.clear();
  metrics.forEach((metric, i) => {
    if (i > 0) out.text('\n\n');
    const render = (metric as Renderable)[RENDER];
    if (render) render(out);
    else out.text(others[i]!);
  });
  out.text('\n');
}

/**
 * The registry's metrics as Prometheus text (UTF-8 bytes), exactly what
 * `registry.metrics()` returns, and `release` to call once the bytes are
 * sent: until then their buffer is not reused. Where prom-client would
 * write something else (OpenMetrics, default labels) it writes all of it.
 */
export async function renderMetricsBytes(
  registry: Registry,
): Promise<{ bytes: Buffer; release(): void }> {
  if (!plain(registry)) return { bytes: Buffer.from(await registry.metrics()), release: () => {} };
  const out = idle.pop() ?? new Output();
  try {
    await renderBlocks(registry, out);
  } catch (error) {
    idle.push(out);
    throw error;
  }
  let released = false;
  return {
    bytes: out.view(),
    release: () => {
      if (!released) ((released = true), idle.push(out));
    },
  };
}

/** The registry's metrics as Prometheus text: `registry.metrics()`, faster for map metrics. */
export async function renderMetrics(registry: Registry): Promise<string> {
  const { bytes, release } = await renderMetricsBytes(registry);
  try {
    return bytes.toString('utf8');
  } finally {
    release();
  }
}
