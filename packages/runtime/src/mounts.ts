/**
 * The filesystems BPF tools reach through: tracefs, where tracepoints are
 * found by name. Tools that run as root mount it when it is missing; the
 * error says how to when they cannot.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
