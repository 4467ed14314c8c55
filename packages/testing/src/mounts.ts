import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function mounted(type: string, path: string): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => {
      const [, at, fs] = line.split(' ');
      return at === path && fs === type;
    });
}

/** Mounts `type` at `path` unless it is there already (needs root); returns null or why it could not. */
function ensure(type: string, source: string, path: string): string | null {
  if (mounted(type, path)) return null;
  try {
    execFileSync('mount', ['-t', type, source, path], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return `cannot mount ${type} at ${path}: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
}

/** The bpf filesystem at /sys/fs/bpf, where maps are pinned. */
export function ensureBpffs(): string | null {
  return ensure('bpf', 'bpf', '/sys/fs/bpf');
}

/** tracefs at /sys/kernel/tracing, which tracepoint attachment reads. */
export function ensureTracefs(): string | null {
  return ensure('tracefs', 'nodev', '/sys/kernel/tracing');
}
