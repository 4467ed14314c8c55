/**
 * Feature probes for tests that need the real kernel or a compiler. Outside CI
 * a missing feature skips those tests with a note; under CI=true it fails them
 * with the same note, so a CI machine without BPF can never pass by skipping.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';
import { ensureBpffs, ensureTracefs } from './mounts.js';

export type Feature =
  | 'clang'
  | 'bpf'
  | 'libbpf-headers'
  | 'cc'
  | 'bpftool'
  | 'bpffs'
  | 'tracefs'
  | 'setpriv'
  | 'unshare'
  | 'tmux';

const cache = new Map<Feature, string | null>();

/** Why `feature` is missing, or null when it is there. */
export function missing(feature: Feature): string | null {
  if (!cache.has(feature)) cache.set(feature, probe(feature));
  return cache.get(feature) ?? null;
}

function probe(feature: Feature): string | null {
  switch (feature) {
    case 'clang':
      return spawnSync('clang', ['--version']).status === 0
        ? null
        : 'clang is not installed (apt-get install -y clang)';
    case 'cc':
      return spawnSync('cc', ['--version']).status === 0
        ? null
        : 'no host C compiler (apt-get install -y gcc)';
    case 'libbpf-headers':
      return spawnSync('test', ['-f', '/usr/include/bpf/bpf_helpers.h']).status === 0
        ? null
        : 'libbpf headers are missing (apt-get install -y libbpf-dev)';
    case 'bpftool':
      return spawnSync('bpftool', ['version']).status === 0
        ? null
        : 'bpftool is not installed (apt-get install -y bpftool)';
    case 'bpf':
      return probeBpf();
    case 'bpffs':
      return ensureBpffs();
    case 'tracefs':
      return ensureTracefs();
    case 'setpriv':
      return spawnSync('setpriv', ['--version']).status === 0
        ? null
        : 'setpriv is not installed (apt-get install -y util-linux)';
    case 'unshare':
      return spawnSync('unshare', ['--mount', 'true']).status === 0
        ? null
        : 'cannot make a private mount namespace (unshare --mount): needs root and util-linux';
    case 'tmux':
      return spawnSync('tmux', ['-V']).status === 0
        ? null
        : 'tmux is not installed (apt-get install -y tmux)';
  }
}

/** Creating a tiny map is the cheapest proof that bpf(2) works here (kernel support and CAP_BPF). */
function probeBpf(): string | null {
  const script = `import('koffi').then(({default: k}) => { const f = k.load('libbpf.so.1').func('int bpf_map_create(int, const char *, uint32_t, uint32_t, uint32_t, void *)'); const fd = f(2, 'probe', 4, 4, 1, null); process.exit(fd >= 0 ? 0 : -fd); })`;
  try {
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'pipe' });
    return null;
  } catch (error) {
    const status = (error as { status?: number }).status;
    return `bpf(2) BPF_MAP_CREATE failed here (errno ${status}): needs a kernel with BPF and CAP_BPF (run as root)`;
  }
}

/**
 * What a test that needs `features` does here: run; or, with one missing,
 * under CI=true fail at once naming it, elsewhere skip with a note.
 */
function verdict(features: Feature[], name: string): 'run' | 'skip' | Error {
  const reasons = features.map(missing).filter((r): r is string => r !== null);
  if (reasons.length === 0) return 'run';
  if (process.env.CI === 'true')
    return new Error(`${name}: required on CI but unavailable: ${reasons.join('; ')}`);
  console.warn(`skipping "${name}": ${reasons.join('; ')}`);
  return 'skip';
}

/** describe() that runs when every feature is present (see verdict). */
export function describeWith(features: Feature[], name: string, body: () => void): void {
  const v = verdict(features, name);
  if (v === 'run') describe(name, body);
  else if (v === 'skip') describe.skip(name, body);
  else
    describe(name, () => {
      throw v;
    });
}

/** it() with the same rule as describeWith, for one test inside a wider suite. */
export function itWith(
  features: Feature[],
  name: string,
  body: () => unknown,
  timeout?: number,
): void {
  const v = verdict(features, name);
  if (v === 'run') it(name, body, timeout);
  else if (v === 'skip') it.skip(name, body);
  else
    it(name, () => {
      throw v;
    });
}
