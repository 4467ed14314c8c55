import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
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
    return await importable(
      path,
      async (url) =>
        (await tsImport(url, {
          parentURL: import.meta.url,
          ...(report ? { onImport: report } : {}),
        })) as Record<string, unknown>,
    );
  } catch (error) {
    throw new CodegenError(`${file}: ${describeThrow(error, path)}`, { cause: error });
  }
}

/**
 * Calls `load` with a file URL of `path` that Node's ESM loader accepts.
 * It refuses URLs with an encoded backslash (`a\b.schema.ts`), so such a
 * file is reached through a symlink of a plain name in a temporary
 * directory: Node resolves the link to the real file, whose own location
 * then anchors its imports.
 */
async function importable<T>(path: string, load: (url: string) => Promise<T>): Promise<T> {
  if (!path.includes('\\')) return load(pathToFileURL(path).href);
  const dir = mkdtempSync(join(tmpdir(), 'bpfmaps-schema-'));
  try {
    const link = join(dir, `schema${extname(path)}`);
    symlinkSync(path, link);
    return await load(pathToFileURL(link).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function rejectDuplicateKeys(path: string): Promise<void> {
  try {
    // From stdin, not entryPoints: there `*` in a path would be a glob.
    await build({
      stdin: {
        contents: readFileSync(path, 'utf8'),
        sourcefile: relative(process.cwd(), path) || basename(path),
        resolveDir: dirname(path),
        loader: /\.[cm]?ts$/.test(path) ? 'ts' : 'js',
      },
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
  if (
    (error as NodeJS.ErrnoException).code === 'ERR_INVALID_MODULE_SPECIFIER' &&
    /%5C/i.test(error.message)
  )
    return `${error.message}\n    Node cannot import a module from a directory whose name has a backslash: rename the directory`;
  const frames = (error.stack ?? '').split('\n').filter((l) => l.trim().startsWith('at '));
  const own =
    frames.find((l) => l.includes(schemaPath)) ??
    frames.find((l) => !l.includes('node_modules') && !l.includes('node:'));
  const where = own ? `\n    ${own.trim()}` : '';
  return `${error.message}${where}`;
}
