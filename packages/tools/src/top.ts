/**
 * `bpfmaps top`: a live view of a map sorted by a number of its value,
 * with that number's rate per second, redrawn every interval until Ctrl-C.
 * On a terminal it redraws in place; otherwise it prints a plain snapshot
 * per interval.
 */
import { cellText, columns, keyColumns, sumCpus, table, type Row } from './rows.js';
import type { Opened } from './source.js';
import { ToolError } from './errors.js';

export interface TopOptions {
  /** The value field to sort by (a dotted column name); default the first number. */
  sort?: string;
  /** Seconds between refreshes. */
  interval: number;
  /** Rows shown. */
  rows: number;
  /** Refreshes before stopping (default: until Ctrl-C). */
  count?: number;
  title: string;
}

/** The column to sort by: the one named, or the first numeric one of the value. */
function sortColumn(value: unknown, wanted: string | undefined): string {
  const cols = columns(value);
  const numeric = cols.filter(([, v]) => typeof v === 'number' || typeof v === 'bigint');
  if (wanted === undefined) {
    if (!numeric.length) throw new ToolError('the value has no number to sort by');
    return numeric[0]![0];
  }
  if (!numeric.some(([n]) => n === wanted))
    throw new ToolError(
      `--sort ${wanted}: the value has no number ${wanted}; it has: ${numeric.map(([n]) => n).join(', ')}`,
      64,
    );
  return wanted;
}

/** Runs until `signal` aborts or `count` refreshes are done; writes each screen with `out`. */
export async function top(
  opened: Opened,
  options: TopOptions,
  out: (text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const tty = process.stdout.isTTY;
  let last = new Map<string, number>();
  let lastAt = performance.now();
  let column: string | undefined;
  for (let n = 0; !signal.aborted && (options.count === undefined || n < options.count); n++) {
    const now = performance.now();
    const seconds = Math.max((now - lastAt) / 1000, 1e-3);
    const next = new Map<string, number>();
    const rows: { row: Row; total: number; rate: number }[] = [];
    for (const [key, copies] of opened.map.entries()) {
      const value = opened.perCpu ? sumCpus(copies) : copies;
      column ??= sortColumn(value, options.sort);
      const total = Number(columns(value).find(([c]) => c === column)?.[1] ?? 0);
      const id = keyColumns(key)
        .map(([, v]) => cellText(v))
        .join('\u0000');
      next.set(id, total);
      rows.push({
        row: [key, value],
        total,
        // A number that went down was reset (the map entry was deleted and made again): count from 0.
        rate: n === 0 ? 0 : (total - Math.min(last.get(id) ?? 0, total)) / seconds,
      });
    }
    last = next;
    lastAt = now;
    rows.sort((a, b) => b.rate - a.rate || b.total - a.total);
    const shown = rows.slice(0, options.rows);
    const body = table(
      shown.map((r) => [
        r.row[0],
        {
          ...(typeof r.row[1] === 'object' && r.row[1] !== null
            ? (r.row[1] as object)
            : { value: r.row[1] }),
          [`${column}/s`]: Math.round(r.rate),
        },
      ]),
    );
    const head = `${options.title}: ${rows.length} entries, by ${column ?? '-'}, ${new Date().toISOString().slice(11, 19)}`;
    out(tty ? `\x1b[H\x1b[2J${head}\n${body}(Ctrl-C to quit)\n` : `${head}\n${body}\n`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.interval * 1000);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
