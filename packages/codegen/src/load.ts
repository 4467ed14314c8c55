import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { tsImport } from 'tsx/esm/api';
import { CodegenError } from './errors.js';

/**
 * Loads a `.schema.ts` file the way the user wrote it (TypeScript, ESM) and
 * returns its exports. Object literals with a repeated key are rejected first:
 * JS would silently keep the last one, which for a struct means a lost field.
 */
export async function loadSchemaModule(
  file: string,
  onImport?: (path: string) => void,
): Promise<Record<string, unknown>> {
  const path = resolve(file);
  if (!existsSync(path)) throw new CodegenError(`schema file not found: ${file}`);
  await rejectDuplicateKeys(path);
  try {
    const report =
      onImport &&
      ((url: string) =>
        url.startsWith('file:') && onImport(fileURLToPath(url.split('?')[0] as string)));
    return (await tsImport(pathToFileURL(path).href, {
      parentURL: import.meta.url,
      ...(report ? { onImport: report } : {}),
    })) as Record<string, unknown>;
  } catch (error) {
    throw new CodegenError(`${file}: ${describeThrow(error, path)}`, { cause: error });
  }
}

async function rejectDuplicateKeys(path: string): Promise<void> {
  try {
    await build({
      entryPoints: [path],
      bundle: true,
      packages: 'external',
      write: false,
      logLevel: 'silent',
      platform: 'node',
      format: 'esm',
      logOverride: { 'duplicate-object-key': 'error' },
    });
  } catch (error) {
    const errors = (
      error as {
        errors?: {
          text: string;
          location?: { file: string; line: number; column: number } | null;
        }[];
      }
    ).errors;
    if (!errors?.length) throw error;
    const lines = errors.map((e) => {
      const at = e.location
        ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: `
        : '';
      const text = e.text.startsWith('Duplicate key')
        ? `${e.text}: a struct field or option is declared twice`
        : e.text;
      return `${at}${text}`;
    });
    throw new CodegenError(lines.join('\n'));
  }
}

/** The error's message and the first stack frame inside the user's files. */
function describeThrow(error: unknown, schemaPath: string): string {
  if (!(error instanceof Error)) return `the schema threw ${String(error)}`;
  const frames = (error.stack ?? '').split('\n').filter((l) => l.trim().startsWith('at '));
  const own =
    frames.find((l) => l.includes(schemaPath)) ??
    frames.find((l) => !l.includes('node_modules') && !l.includes('node:'));
  const where = own ? `\n    ${own.trim()}` : '';
  return `${error.message}${where}`;
}
