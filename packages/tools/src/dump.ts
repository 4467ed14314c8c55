/**
 * `bpfmaps dump`: every entry of a live map, decoded by its schema, as an
 * aligned table, JSON or NDJSON, filtered on key fields and limited. A long
 * read shows a count on stderr when stderr is a terminal.
 */
import { json, sumCpus, table, whereFilter, type Row } from './rows.js';
import type { Opened } from './source.js';
import { ToolError } from './errors.js';

export type Format = 'table' | 'json' | 'ndjson';

export interface DumpOptions {
  format: Format;
  where: readonly string[];
  limit?: number;
}

/** Writes the entries to `out`; returns how many. */
export function dump(opened: Opened, options: DumpOptions, out: (text: string) => void): number {
  const pass = whereFilter(
    options.where,
    (message) => {
      throw new ToolError(message, 64);
    },
    opened.keyType,
  );
  const limit = options.limit ?? Infinity;
  const progress = process.stderr.isTTY;
  const rows: Row[] = [];
  let read = 0;
  let written = 0;
  for (const [key, value] of opened.map.entries()) {
    if (progress && ++read % 50_000 === 0)
      process.stderr.write(`\rread ${read.toLocaleString('en-US')} entries`);
    if (!pass(key)) continue;
    // NDJSON streams: memory stays bounded whatever the map's size.
    if (options.format === 'ndjson') out(`${json({ key, value })}\n`);
    else rows.push([key, value]);
    if (++written >= limit) break;
  }
  if (progress && read >= 50_000) process.stderr.write('\r\x1b[K');
  if (options.format === 'json') out(`${json(rows.map(([key, value]) => ({ key, value })))}\n`);
  // A table sums a per-CPU value's copies (JSON keeps them, one per CPU).
  if (options.format === 'table')
    out(table(opened.perCpu ? rows.map(([key, value]) => [key, sumCpus(value)]) : rows));
  return written;
}
