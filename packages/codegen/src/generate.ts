import { basename } from 'node:path';
import { checkHeaderNames } from './header-names.js';
import { loadSchemaModule } from './load.js';
import { checkGlobalNames } from './model/globals.js';
import { buildModel } from './model/index.js';
import { renderHeader, renderModule } from './render.js';
import { outputPaths, type OutputPaths } from './paths.js';
import type { OutputFile } from './write.js';

export { outputPaths, type OutputPaths };

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
  const header = renderHeader(model);
  checkHeaderNames(header, options.source);
  checkGlobalNames(model.globals, header);
  return [
    { path: options.header, content: header },
    { path: options.module, content: await renderModule(model) },
  ];
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
