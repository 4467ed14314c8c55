import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const TRACEFS = '/sys/kernel/tracing';

/** Tracepoints attach through tracefs: mount it when it is not there (needs root), or say how. */
export function ensureTracefs(): void {
  if (existsSync(`${TRACEFS}/events`)) return;
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `tracefs is not mounted at ${TRACEFS} and mounting it failed (${String((error as { stderr?: Buffer }).stderr ?? error).trim()}); run: mount -t tracefs nodev ${TRACEFS}`,
    );
  }
}
