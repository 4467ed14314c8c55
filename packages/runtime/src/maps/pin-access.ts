/**
 * Why the file system refused this process a pin. The kernel answers only
 * EACCES (or EPERM), and CAP_BPF does not override file modes: what decides
 * is the mode of the pin and of each directory above it. This walks the
 * path the way the kernel does and names the first one whose mode refuses,
 * with its mode and owner. It runs only after a refusal.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** What was asked of the path: reach its directory, open the pin (or only read it), add it, or remove it. */
export type PinAccess = 'reach' | 'open' | 'read' | 'create' | 'remove';

const EPERM = 1;
const EACCES = 13;
const S_ISVTX = 0o1000;

/**
 * Which file mode refused `access` to `path` after the kernel (or libc) said
 * `errno`, or undefined when it is not a refusal of access or no mode explains it.
 */
export function pinDenial(errno: number, path: string, access: PinAccess): string | undefined {
  const e = Math.abs(errno);
  if (e !== EACCES && e !== EPERM) return undefined;
  const full = resolve(path);
  const dir = dirname(full);
  for (const above of lineage(dir)) {
    if (!allows(above, constants.X_OK)) return `${show(above)} does not let ${who()} search it`;
  }
  if (access === 'open' && !allows(full, constants.R_OK | constants.W_OK)) {
    if (allows(full, constants.R_OK))
      return `the pin (${modeOf(full)}) lets ${who()} read it but not write it: open it with { readOnly: true } to read it`;
    return `the pin (${modeOf(full)}) does not let ${who()} read and write it`;
  }
  if (access === 'read' && !allows(full, constants.R_OK)) {
    return `the pin (${modeOf(full)}) does not let ${who()} read it`;
  }
  if (access === 'create' || access === 'remove') {
    const verb = access === 'create' ? 'add entries to it' : 'remove entries from it';
    if (!allows(dir, constants.W_OK)) return `${show(dir)} does not let ${who()} ${verb}`;
  }
  if (access === 'remove') {
    const uid = process.geteuid?.();
    const d = stat(dir);
    const f = stat(full);
    if (d && f && d.mode & S_ISVTX && f.uid !== uid && d.uid !== uid)
      return `${show(dir)} is sticky: only the pin's owner (uid ${f.uid}) may remove it`;
  }
  return undefined;
}

/** `/`, `/sys`, `/sys/fs`, ... down to `dir`. */
function* lineage(dir: string): Generator<string> {
  const parent = dirname(dir);
  if (parent !== dir) yield* lineage(parent);
  yield dir;
}

/** access(2) with the real ids, which are the effective ones in the processes this serves. */
function allows(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

function stat(path: string): { mode: number; uid: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function modeOf(path: string): string {
  const s = stat(path);
  if (!s) return 'mode unknown';
  return `mode ${(s.mode & 0o7777).toString(8).padStart(4, '0')}, owner uid ${s.uid}`;
}

function show(dir: string): string {
  return `${dir} (${modeOf(dir)})`;
}

function who(): string {
  return `uid ${process.geteuid?.() ?? '?'}`;
}
