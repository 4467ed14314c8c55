import { basename, dirname, join, resolve } from 'node:path';
import { loadSchemaModule } from './load.js';
import { buildModel } from './model/index.js';
import { renderHeader, renderModule } from './render.js';
import type { OutputFile } from './write.js';

export interface GenerateOptions {
  /** Name of the schema file, printed in the do-not-edit line (no directories: output stays reproducible). */
  source: string;
  /** Path of the C header to write. */
  header: string;
  /** Path of the TS module to write. */
  module: string;
}

/**
 * generate(schemaModule, options) renders the C header and the TS module for
 * the maps and structs a schema module exports. Pure: it writes nothing.
 * Throws SchemaError when the schema is invalid.
 */
export async function generate(
  schemaModule: Record<string, unknown>,
  options: GenerateOptions,
): Promise<OutputFile[]> {
  const model = buildModel(schemaModule, options.source, basename(options.header));
  return [
    { path: options.header, content: renderHeader(model) },
    { path: options.module, content: await renderModule(model) },
  ];
}

export interface OutputPaths {
  /** Header path; default `<name>.h` beside the schema (`maps.schema.ts` -> `maps.h`). */
  c?: string;
  /** Module path; default `<name>.gen.ts` beside the schema. */
  ts?: string;
  /** Directory for both defaults, instead of beside the schema. */
  outDir?: string;
}

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

/** Loads a schema file and renders its outputs (writes nothing); `onImport` hears every file it loads. */
export async function generateFromFile(
  schemaFile: string,
  paths: OutputPaths = {},
  onImport?: (path: string) => void,
): Promise<OutputFile[]> {
  const module = await loadSchemaModule(schemaFile, onImport);
  return generate(module, { source: basename(schemaFile), ...outputPaths(schemaFile, paths) });
}
