import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, cliSandbox, GOOD } from './support/cli.js';

const box = cliSandbox();
const { codegen, write } = box;
const SIGNAL_AT_RENAME = fileURLToPath(new URL('./support/signal-at-rename.mjs', import.meta.url));
const CODES = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
const SIGNALS = Object.keys(CODES) as (keyof typeof CODES)[];

const pair = () =>
  ['maps.h', 'maps.gen.ts'].map((name) => readFileSync(join(box.dir, name), 'utf8'));
const hashOf = (text: string) => /bpfmaps schema ([0-9a-f]{16})/.exec(text)![1];
const strays = () => readdirSync(box.dir).filter((f) => f.includes('.bpfmaps-'));

function run(args: string[], options: { env?: NodeJS.ProcessEnv; node?: string[] } = {}) {
  const child = spawn(process.execPath, [...(options.node ?? []), CLI, ...args], {
    cwd: box.dir,
    env: { ...process.env, ...options.env },
  });
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, exit };
}

describe('codegen and signals', () => {
  it.each(SIGNALS)(
    '%s once generation has started, before the write: nothing written, exit 128+n',
    async (signal) => {
      // The schema itself sends the signal while it is being loaded.
      write('maps.schema.ts', `process.kill(process.pid, '${signal}');\n${GOOD}`);
      const { exit } = run(['maps.schema.ts']);
      expect(await exit).toBe(CODES[signal]);
      expect(readdirSync(box.dir)).toEqual(['maps.schema.ts']);
    },
  );

  it.each(SIGNALS)(
    '%s between the two renames: the write finishes, then exit 128+n',
    async (signal) => {
      write('maps.schema.ts', GOOD);
      expect(codegen('maps.schema.ts').code).toBe(0);
      const old = pair();
      write('maps.schema.ts', GOOD.replace('maxEntries: 8', 'maxEntries: 9'));
      const { exit } = run(['maps.schema.ts'], {
        node: ['--import', SIGNAL_AT_RENAME],
        env: { BPFMAPS_TEST_SIGNAL: signal },
      });
      expect(await exit).toBe(CODES[signal]);
      const now = pair();
      expect(now[0]).toContain('__uint(max_entries, 9);');
      expect(now).not.toEqual(old);
      expect(hashOf(now[0]!)).toBe(hashOf(now[1]!));
      expect(strays()).toEqual([]);
    },
  );

  it('SIGTERM at any moment leaves the old pair or the new one, and no stray files', async () => {
    write('maps.schema.ts', GOOD);
    codegen('maps.schema.ts');
    const before = pair();
    write('maps.schema.ts', GOOD.replace('maxEntries: 8', 'maxEntries: 9'));
    for (const delay of [50, 300, 600, 900, 1200]) {
      const { child, exit } = run(['maps.schema.ts']);
      setTimeout(() => child.kill('SIGTERM'), delay);
      const code = await exit;
      const now = pair();
      expect(hashOf(now[0]!), `after SIGTERM at ${delay} ms (exit ${code})`).toBe(hashOf(now[1]!));
      expect(strays()).toEqual([]);
      // null: killed before the handlers were installed, by the signal's default action.
      expect([0, 143, null]).toContain(code);
      if (code === 0) expect(now).not.toEqual(before);
      if (code === null) expect(now).toEqual(before);
    }
  });
});
