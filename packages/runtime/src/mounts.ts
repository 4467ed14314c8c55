/**
 * The filesystems BPF tools reach through: tracefs, where tracepoints are
 * found by name, and the bpf filesystem, where maps are pinned. Tools that
 * run as root mount them when missing; the error says how when they cannot.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';
import { BpfError } from './errors.js';

const TRACEFS = '/sys/kernel/tracing';

/** Mounts tracefs at /sys/kernel/tracing unless it is there (needs root). */
export function ensureTracefs(): void {
  if (existsSync(`${TRACEFS}/events`)) return;
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS], { stdio: 'pipe' });
  } catch (error) {
    const why = String((error as { stderr?: Buffer }).stderr ?? error).trim();
    throw new BpfError({
      code: 'NOT_FOUND',
      op: 'mount tracefs at',
      target: TRACEFS,
      detail: `tracepoints are found through it and mounting it failed (${why}); run as root: mount -t tracefs nodev ${TRACEFS}`,
    });
  }
}

const BPFFS = '/sys/fs/bpf';
/** statfs(2)'s f_type of a bpf filesystem. */
export const BPF_FS_MAGIC = 0xcafe4a11;

/** Mounts the bpf filesystem at /sys/fs/bpf unless it is there (needs root): pins live in it. */
export function ensureBpffs(): void {
  if (Number(statfsSync(BPFFS).type) === BPF_FS_MAGIC) return;
  try {
    execFileSync('mount', ['-t', 'bpf', 'bpf', BPFFS], { stdio: 'pipe' });
  } catch (error) {
    const why = String((error as { stderr?: Buffer }).stderr ?? error).trim();
    throw new BpfError({
      code: 'NOT_FOUND',
      op: 'mount the bpf filesystem at',
      target: BPFFS,
      detail: `pins live in it and mounting it failed (${why}); run as root: mount -t bpf bpf ${BPFFS}`,
    });
  }
}
