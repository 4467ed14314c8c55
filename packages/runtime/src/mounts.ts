/**
 * The filesystems BPF tools reach through: tracefs, where tracepoints are
 * found by name, and the bpf filesystem, where maps are pinned. Tools that
 * run as root mount them when missing; the error says how when they cannot.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';
import { BpfError } from './errors.js';

const TRACEFS = '/sys/kernel/tracing';
const BPFFS = '/sys/fs/bpf';
/** statfs(2)'s f_type of a bpf filesystem. */
export const BPF_FS_MAGIC = 0xcafe4a11;

/** Mounts tracefs at /sys/kernel/tracing unless it is there (needs root). */
export function ensureTracefs(): void {
  if (existsSync(`${TRACEFS}/events`)) return;
  mount(['-t', 'tracefs', 'nodev', TRACEFS], 'tracefs', 'tracepoints are found through it');
}

/** Mounts the bpf filesystem at /sys/fs/bpf unless it is there (needs root): pins live in it. */
export function ensureBpffs(): void {
  if (Number(statfsSync(BPFFS).type) === BPF_FS_MAGIC) return;
  mount(['-t', 'bpf', 'bpf', BPFFS], 'the bpf filesystem', 'pins live in it');
}

/** Runs mount(8) with `args` (whose last is the mount point); `why` says what the filesystem is for. */
function mount(args: string[], what: string, why: string): void {
  const at = args[args.length - 1] as string;
  try {
    execFileSync('mount', args, { stdio: 'pipe' });
  } catch (error) {
    const failure = String((error as { stderr?: Buffer }).stderr ?? error).trim();
    throw new BpfError({
      code: 'NOT_FOUND',
      op: `mount ${what} at`,
      target: at,
      detail: `${why} and mounting it failed (${failure}); run as root: mount ${args.join(' ')}`,
    });
  }
}
