/**
 * Where generated files go, decided and checked before anything is loaded
 * or written: no output may overwrite a schema, another output, or a
 * directory. Paths are compared as the files they reach (symlinks
 * followed), so no spelling of a path gets past the checks.
 */
import { statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { UsageError } from './errors.js';
import { realTarget } from './real-path.js';

export interface OutputPaths {
  /** Header path; default `<name>.h` beside the schema (`maps.schema.ts` -> `maps.h`). */
  c?: string | undefined;
  /** Module path; default `<name>.gen.ts` beside the schema. */
  ts?: string | undefined;
  /** Directory for both defaults, instead of beside the schema (created when missing). */
  outDir?: string | undefined;
}

export interface Planned {
  /** The schema's path as given on the command line. */
  given: string;
  /** The same, absolute (symlinks not resolved: the outputs go beside the link). */
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
    .replace(/\.schema\.[cm]?[jt]s$/, '')
    .replace(/\.[cm]?[jt]s$/, '');
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

const shown = (p: string) => relative(process.cwd(), p) || p;

/**
 * Plans the outputs of `schemas`, each schema once however it is spelled;
 * throws UsageError naming the paths when two outputs are one file, an
 * output is a schema, or a path is a directory (or lies under a file).
 */
export function planOutputs(schemas: readonly string[], paths: OutputPaths): Planned[] {
  if (paths.outDir !== undefined && (paths.c !== undefined || paths.ts !== undefined)) {
    throw new UsageError(
      '--out-dir cannot be combined with -c or --ts: give the directory, or both file paths',
    );
  }
  const distinct = new Map<string, string>();
  for (const schema of schemas) {
    const real = realTarget(schema);
    if (!distinct.has(real)) distinct.set(real, schema);
  }
  if (distinct.size > 1 && (paths.c !== undefined || paths.ts !== undefined)) {
    throw new UsageError('-c and --ts name one file each: give one schema, or use --out-dir');
  }
  if (paths.outDir && !['directory', 'missing'].includes(kindOf(paths.outDir))) {
    throw new UsageError(`--out-dir ${paths.outDir} is not a directory`);
  }
  const plans = [...distinct.values()].map((schema) => ({
    given: schema,
    schema: resolve(schema),
    ...outputPaths(schema, paths),
  }));
  const inputs = new Map([...distinct].map(([real, schema]) => [real, resolve(schema)]));
  const owners = new Map<string, string>();
  for (const plan of plans) {
    for (const [what, path] of outputsOf(plan)) {
      const real = realTarget(path);
      const input = inputs.get(real);
      if (input !== undefined) {
        throw new UsageError(
          `the ${what} of ${shown(plan.schema)} would overwrite the schema ${shown(input)}${oneFile(path, input)}`,
        );
      }
      const owner = `the ${what} of ${shown(plan.schema)}${givenAs(path, real)}`;
      const other = owners.get(real);
      if (other !== undefined)
        throw new UsageError(`${shown(real)} would be written twice: ${other} and ${owner}`);
      owners.set(real, owner);
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

function outputsOf(plan: Planned) {
  return [
    ['header', plan.header],
    ['module', plan.module],
  ] as const;
}

/** ` (as self/maps.h)` when `path` reaches `real` through a symlink. */
function givenAs(path: string, real: string): string {
  return shown(path) === shown(real) ? '' : ` (as ${shown(path)})`;
}

/** ` (a and b are one file)` when two different spellings reach one file. */
function oneFile(path: string, other: string): string {
  return shown(path) === shown(other) ? '' : ` (${shown(path)} and ${shown(other)} are one file)`;
}

/**
 * Throws UsageError when an output of `plans` is one of `inputs` (files a
 * schema imports), which are only known once the schemas are loaded.
 */
export function checkOutputsAreNotInputs(
  plans: readonly Planned[],
  inputs: Iterable<string>,
): void {
  const real = new Map([...inputs].map((file) => [realTarget(file), file]));
  for (const plan of plans) {
    for (const [what, path] of outputsOf(plan)) {
      const input = real.get(realTarget(path));
      if (input !== undefined)
        throw new UsageError(
          `the ${what} of ${shown(plan.schema)} would overwrite ${shown(input)}, which the schema imports${oneFile(path, input)}`,
        );
    }
  }
}
