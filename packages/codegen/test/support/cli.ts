import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach } from 'vitest';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
// Inside the package, so schema files resolve @bpfmaps/schema like a user's would.
const WORK_ROOT = fileURLToPath(new URL('../', import.meta.url));

export const GOOD = `import { be16, hash, struct, u64 } from '@bpfmaps/schema';
export const Key = struct('Key', { port: be16 });
export const counts = hash('counts', { key: Key, value: u64, maxEntries: 8 });
`;

/** A fresh directory per test (removed after it) and the CLI run inside it. */
export function cliSandbox() {
  const box = { dir: '' };
  beforeEach(() => {
    box.dir = mkdtempSync(join(WORK_ROOT, '.work-'));
  });
  afterEach(() => rmSync(box.dir, { recursive: true, force: true }));
  return {
    get dir() {
      return box.dir;
    },
    codegen(...args: string[]) {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: box.dir, encoding: 'utf8' });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    write(name: string, text: string): void {
      writeFileSync(join(box.dir, name), text);
    },
  };
}
