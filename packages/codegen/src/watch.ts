import { watch, type FSWatcher } from 'node:fs';
import { relative, resolve } from 'node:path';
import { generateFromFile, type OutputPaths } from './generate.js';
import { writeAtomically, type OutputFile } from './write.js';

/**
 * Regenerates whenever a schema file, or a local file it imports, changes.
 * Errors are printed and watching goes on; nothing half-written is left.
 * Resolves when `signal` aborts.
 */
export async function watchSchemas(
  schemas: string[],
  paths: OutputPaths,
  signal: AbortSignal,
  log = console,
): Promise<void> {
  let watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const shown = (p: string) => relative(process.cwd(), p) || p;

  const run = async () => {
    const inputs = new Set<string>();
    try {
      const files: OutputFile[] = [];
      // The user's own sources, not packages (installed, or built workspace packages).
      const own = (p: string) =>
        !p.includes('/node_modules/') && !p.includes('/dist/') && inputs.add(p);
      for (const schema of schemas) files.push(...(await generateFromFile(schema, paths, own)));
      writeAtomically(files);
      log.log(`wrote ${files.map((f) => shown(f.path)).join(', ')}`);
    } catch (error) {
      log.error(`codegen: ${(error as Error).message}`);
    }
    for (const w of watchers) w.close();
    // Watch what was loaded; the schemas themselves even when they failed to load.
    watchers = [...new Set([...schemas.map((f) => resolve(f)), ...inputs])].map((file) =>
      watch(file, () => {
        clearTimeout(timer);
        timer = setTimeout(() => void run(), 100);
      }),
    );
    log.log(`watching ${watchers.length} file${watchers.length === 1 ? '' : 's'}`);
  };

  await run();
  await new Promise<void>((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  clearTimeout(timer);
  for (const w of watchers) w.close();
}
