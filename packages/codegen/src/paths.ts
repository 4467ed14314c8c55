/**
 * Where generated files go, decided and checked before anything is loaded
 * or written: no output may overwrite a schema, another output, or a
 * directory.
 */
import { statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { UsageError } from './errors.js';

export interface OutputPaths {
  /** Header path; default `<name>.h` beside the schema (`maps.schema.ts` -> `maps.h`). */
  c?: string | undefined;
  /** Module path; default `<name>.gen.ts` beside the schema. */
  ts?: string | undefined;
  /** Directory for both defaults, instead of beside the schema (created when missing). */
  outDir?: string | undefined;
}

export interface Planned {
  schema: string;
  header: string;
  module: string;
}

/** The header and module paths of one schema. */
export function outputPaths(
  schemaFile: string,
  paths: OutputPaths = {},
): { header: string; module: string } {
  const stem = basename(schemaFile)
    .replace(/\.schema\.[cm]?ts$/, '')
    .replace(/\.[cm]?ts$/, '');
  const dir = paths.outDir ?? dirname(resolve(schemaFile));
  return {
    header: resolve(paths.c ?? join(dir, `${stem}.h`)),
    module: resolve(paths.ts ?? join(dir, `${stem}.gen.ts`)),
  };
}

function kindOf(path: string): 'file' | 'directory' | 'missing' | 'other' {
  try {
    const s = statSync(path);
    return s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

/** The first existing ancestor of `path` that is not a directory, if any (a file where a folder must go). */
function fileInTheWay(path: string): string | undefined {
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    const kind = kindOf(dir);
    if (kind === 'directory') return undefined;
    if (kind !== 'missing') return dir;
  }
  return undefined;
}

/**
 * Plans the outputs of `schemas`; throws UsageError naming the paths when
 * two outputs collide, an output would replace a schema, or a path is a
 * directory (or lies under a file).
 */
export function planOutputs(schemas: readonly string[], paths: OutputPaths): Planned[] {
  const shown = (p: string) => relative(process.cwd(), p) || p;
  if (schemas.length > 1 && (paths.c || paths.ts)) {
    throw new UsageError('--c and --ts name one file each: give one schema, or use --out-dir');
  }
  if (paths.outDir && !['directory', 'missing'].includes(kindOf(paths.outDir))) {
    throw new UsageError(`--out-dir ${paths.outDir} is not a directory`);
  }
  const plans = schemas.map((schema) => ({
    schema: resolve(schema),
    ...outputPaths(schema, paths),
  }));
  const inputs = new Set(plans.map((p) => p.schema));
  const owners = new Map<string, string>();
  for (const plan of plans) {
    for (const [what, path] of [
      ['header', plan.header],
      ['module', plan.module],
    ] as const) {
      if (inputs.has(path))
        throw new UsageError(
          `the ${what} of ${shown(plan.schema)} would overwrite the schema ${shown(path)}`,
        );
      const other = owners.get(path);
      if (other !== undefined)
        throw new UsageError(
          `${shown(path)} would be written twice: ${other} and the ${what} of ${shown(plan.schema)}`,
        );
      owners.set(path, `the ${what} of ${shown(plan.schema)}`);
      if (kindOf(path) === 'directory')
        throw new UsageError(`the ${what} path ${shown(path)} is a directory`);
      const blocker = fileInTheWay(path);
      if (blocker)
        throw new UsageError(
          `the ${what} path ${shown(path)} lies under ${shown(blocker)}, which is not a directory`,
        );
    }
  }
  return plans;
}
