import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { generateFromFile } from './generate.js';
import { checkOutputsAreNotInputs, planOutputs, type OutputPaths } from './paths.js';
import { writeAtomically, type OutputFile } from './write.js';

/**
 * Regenerates whenever a schema file, or a local file it imports, changes.
 * Errors are printed and watching goes on; nothing half-written is left.
 * Directories are watched, not files, so a schema deleted and saved again
 * (as editors do) is seen; a change made while generating runs it once
 * more. Resolves when `signal` aborts.
 */
export async function watchSchemas(
  schemas: string[],
  paths: OutputPaths,
  signal: AbortSignal,
  log = console,
): Promise<void> {
  const shown = (p: string) => relative(process.cwd(), p) || p;
  const watched = new Set(schemas.map((f) => resolve(f)));
  const dirs = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const generate = async () => {
    const inputs = new Set<string>();
    // The user's own sources, not packages (installed, or built workspace packages).
    const own = (p: string) =>
      !p.includes('/node_modules/') && !p.includes('/dist/') && inputs.add(p);
    try {
      const missing = schemas.filter((f) => !existsSync(f));
      if (missing.length) {
        log.error(`codegen: waiting for ${missing.map(shown).join(', ')} (not found)`);
        return;
      }
      const files: OutputFile[] = [];
      for (const schema of schemas) files.push(...(await generateFromFile(schema, paths, own)));
      checkOutputsAreNotInputs(planOutputs(schemas, paths), inputs);
      const written = writeAtomically(files);
      log.log(
        written.length > 0
          ? `wrote ${written.map((f) => shown(f.path)).join(', ')}`
          : `up to date: ${files.map((f) => shown(f.path)).join(', ')}`,
      );
    } catch (error) {
      log.error(`codegen: ${(error as Error).message}`);
    } finally {
      for (const file of inputs) watched.add(file);
      watchDirectories();
      log.log(`watching ${watched.size} file${watched.size === 1 ? '' : 's'}`);
    }
  };

  // One run at a time; a change during a run asks for one more.
  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    do {
      again = false;
      running = generate();
      await running;
      running = undefined;
    } while (again && !signal.aborted);
  };

  const changed = (dir: string, name: string | null) => {
    if (name !== null && !watched.has(resolve(dir, name))) return;
    clearTimeout(timer);
    timer = setTimeout(() => void run(), 100);
  };

  function watchDirectories(): void {
    for (const file of watched) {
      const dir = dirname(file);
      if (dirs.has(dir) || !existsSync(dir)) continue;
      dirs.set(
        dir,
        watch(dir, (_event, name) => changed(dir, name === null ? null : basename(name))),
      );
    }
  }

  await run();
  await new Promise<void>((done) => signal.addEventListener('abort', () => done(), { once: true }));
  clearTimeout(timer);
  for (const w of dirs.values()) w.close();
  await running;
}
