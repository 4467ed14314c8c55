/**
 * `bpfmaps ls`: the maps pinned under a directory of a bpf filesystem, with
 * the kernel's facts about each and, given a schema, whether the schema's
 * map of that name matches it.
 */
import { lstatSync, readdirSync, statfsSync, statSync, type Stats } from 'node:fs';
import { join, relative } from 'node:path';
import { BpfError, mapTypeOf, RawMap } from '@bpfmaps/runtime';
import { kindOfId, type Catalog } from '@bpfmaps/schema';
import { table } from './rows.js';
import { ToolError } from './errors.js';

/** statfs(2)'s f_type of a bpf filesystem. */
const BPF_FS_MAGIC = 0xcafe4a11;

export interface Listed {
  path: string;
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** Entries held (a key walk); null for kinds without keys (a queue, a ring buffer), which cannot be counted so. */
  entries: number | null;
  /** With a schema: `matches <export>`, `differs: ...`, or `no map of this name`. */
  schema?: string;
}

/** Every pinned map under `dir` (depth first, sorted); pins that are programs or links are left out. */
export function listPins(dir: string, schema?: Catalog): Listed[] {
  const out: Listed[] = [];
  let top: Stats;
  try {
    top = statSync(dir);
  } catch {
    throw new ToolError(`ls ${dir}: no such directory`);
  }
  if (!top.isDirectory())
    throw new ToolError(`ls ${dir}: not a directory (name the bpffs directory the pins are in)`);
  if (statfsSync(dir).type !== BPF_FS_MAGIC)
    throw new ToolError(
      `ls ${dir}: not on a bpf filesystem, where maps are pinned (mount -t bpf bpf /sys/fs/bpf)`,
    );
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      // Links are not followed: a loop would never end, and a linked directory would list its maps twice.
      const stats = lstatSync(path);
      if (stats.isSymbolicLink()) continue;
      if (stats.isDirectory()) {
        walk(path);
        continue;
      }
      let inspected;
      try {
        inspected = RawMap.inspectPinned(path);
      } catch (error) {
        // A program, a link, or a file the kernel made (maps.debug, progs.debug): no map.
        if (error instanceof BpfError && (error.code === 'INVALID' || error.code === 'NOT_FOUND'))
          continue;
        throw error;
      }
      const { info, entries } = inspected;
      const kind = kindOfId(info.type);
      out.push({
        path: relative(dir, path) || path,
        name: info.name,
        type: kind?.name ?? `type ${info.type}`,
        keySize: info.keySize,
        valueSize: info.valueSize,
        maxEntries: info.maxEntries,
        entries: kind && !kind.parts.includes('key') ? null : entries,
        ...(schema && { schema: verdict(schema, path, info.name) }),
      });
    }
  };
  walk(dir);
  return out;
}

/** Whether the schema's map named `name` (the kernel keeps 15 characters of it) opens the pin. */
function verdict(schema: Catalog, path: string, name: string): string {
  const found = schema.maps.find((m) => m.decl.name.slice(0, 15) === name);
  if (!found) return 'no map of this name';
  try {
    mapTypeOf(found.decl).openPinned(path, { readOnly: true }).close();
    return `matches ${found.exportName}`;
  } catch (error) {
    if (!(error instanceof BpfError) || error.code !== 'INCOMPATIBLE') throw error;
    return `differs: ${/\((.*)\)\. If the schema/.exec(error.message)?.[1] ?? error.message}`;
  }
}

export function listText(rows: readonly Listed[]): string {
  if (rows.length === 0) return '(no maps pinned here)\n';
  return table(
    rows.map((r) => [
      { path: r.path },
      {
        name: r.name,
        type: r.type,
        key: r.keySize,
        value: r.valueSize,
        max: r.maxEntries,
        entries: r.entries ?? '-',
        ...(r.schema !== undefined && { schema: r.schema }),
      },
    ]),
  );
}
