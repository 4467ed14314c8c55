import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BpfError } from '../src/index.js';

/** The BpfError `fn` throws (fails the test if it throws anything else, or nothing, or reads badly). */
export function thrown(fn: () => unknown): BpfError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BpfError) return readsNaturally(e);
    throw e;
  }
  throw new Error('expected a BpfError');
}

/** Fails on a message that doubles a word ("use map map flows"), as op and target can when composed. */
export function readsNaturally<E extends { message?: string }>(error: E): E {
  // A command is not prose: `mount -t bpf bpf /sys/fs/bpf` names the type, then the source.
  const prose = (error.message ?? '').replace(/mount -t (\w+) \1/g, 'mount');
  const doubled = /\b([a-z]+)\s+\1\b/i.exec(prose);
  if (doubled) throw new Error(`"${doubled[0]}" in the message: ${error.message}`);
  return error;
}

/** Closes every handle a test opened, even when it fails. */
export class Handles {
  readonly #open: Disposable[] = [];
  add<T extends Disposable>(handle: T): T {
    this.#open.push(handle);
    return handle;
  }
  closeAll(): void {
    for (const h of this.#open.splice(0).reverse()) h[Symbol.dispose]();
  }
}

/** What a child script reports: a BpfError's code, errno and message, or 'ok'. */
export interface Reported {
  code?: string;
  errno?: number;
  message?: string;
  ok?: unknown;
}

/**
 * Runs `script` (an ES module that imports the built @bpfmaps packages) in a
 * child node process started through `wrapper` (setpriv, prlimit, ...), and
 * returns what it reported: `report(...)` in the script prints one JSON line.
 */
export function runChild(wrapper: string[], script: string): Record<string, Reported> {
  const prelude = `const reported = {};
    const report = (name, fn) => {
      try { const v = fn(); reported[name] = { ok: v !== null && typeof v === 'object' ? true : v ?? null }; }
      catch (e) { reported[name] = { code: e.code, errno: e.errno, message: e.message }; }
    };
    process.on('exit', () => console.log(JSON.stringify(reported)));
    `;
  const r = spawnSync(
    wrapper[0]!,
    [...wrapper.slice(1), process.execPath, '--input-type=module', '-e', prelude + script],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' },
  );
  if (r.status !== 0 || r.stderr !== '')
    throw new Error(`child exited ${r.status}: ${r.stderr}${r.stdout}`);
  const reported = JSON.parse(r.stdout) as Record<string, Reported>;
  Object.values(reported).forEach(readsNaturally);
  return reported;
}
