import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeWith } from '@bpfmaps/testing';
import { expect, it } from 'vitest';
import { Execsnoop, type ProcessEvent } from '../src/execsnoop.js';
import { argv, formatEvent } from '../src/format.js';

/** Reads events until `done` says the ones wanted have come (or 5 s pass). */
async function until(
  snoop: Execsnoop,
  done: (seen: ProcessEvent[]) => boolean,
): Promise<ProcessEvent[]> {
  const seen: ProcessEvent[] = [];
  for await (const e of snoop.events(AbortSignal.timeout(5000))) {
    seen.push(e);
    if (done(seen)) break;
  }
  return seen;
}

describeWith(['bpf', 'tracefs'], 'execsnoop against the kernel', () => {
  it('sees a child exec with its arguments, and its exit with its code', async () => {
    using snoop = new Execsnoop();
    const child = spawnSync('/bin/sh', ['-c', 'exit 3', 'name with spaces']);
    expect(child.status).toBe(3);
    const seen = await until(snoop, (s) => s.some((e) => e.kind === 'EXIT' && e.pid === child.pid));
    const exec = seen.find((e) => e.kind === 'EXEC' && e.pid === child.pid);
    const exit = seen.find((e) => e.kind === 'EXIT' && e.pid === child.pid);
    if (exec?.kind !== 'EXEC' || exit?.kind !== 'EXIT') throw new Error('no exec or exit seen');
    expect(exec.ppid).toBe(process.pid);
    expect(exec.filename).toBe('/bin/sh');
    expect(exec.comm).toBe('sh');
    expect(argv(exec.args)).toEqual(['/bin/sh', '-c', 'exit 3', 'name with spaces']);
    expect(exec.argsSize).toBe(exec.args.length);
    expect(exit).toMatchObject({ ppid: process.pid, code: 3, signal: 0, comm: 'sh' });
    expect(exit.durationNs).toBeGreaterThan(0n);
    expect(formatEvent(exec)).toMatch(
      / EXEC +\d+ +\d+  sh +\/bin\/sh -c 'exit 3' 'name with spaces'$/,
    );
    expect(formatEvent(exit)).toMatch(/ EXIT +\d+ +\d+  sh +code 3 after \d+\.\d ms$/);
    expect(snoop.drops()).toBe(0n);
  });

  it('an exit by signal says which, and long arguments are cut to what the event holds', async () => {
    using snoop = new Execsnoop();
    const long = 'x'.repeat(600);
    const child = spawn('/bin/sh', ['-c', 'read line', long]); // waits on its stdin
    const started = await until(snoop, (s) =>
      s.some((e) => e.kind === 'EXEC' && e.pid === child.pid),
    );
    child.kill('SIGKILL');
    const ended = await until(snoop, (s) =>
      s.some((e) => e.kind === 'EXIT' && e.pid === child.pid),
    );
    const exec = started.find((e) => e.kind === 'EXEC' && e.pid === child.pid);
    if (exec?.kind !== 'EXEC') throw new Error('no exec seen');
    expect(exec.args.length).toBe(512);
    expect(argv(exec.args).slice(0, 3)).toEqual(['/bin/sh', '-c', 'read line']);
    expect(
      ended.find((e) => e.kind === 'EXIT' && e.pid === child.pid),
      JSON.stringify(ended, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
    ).toMatchObject({
      signal: 9,
    });
  });

  it('the tool prints a line per event and stops by itself with --count', async () => {
    const tool = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', '--count', '2', '--comm', 'true'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(tool, 'exit');
    let out = '';
    tool.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    // Once the header is out the programs are attached: run `true` until two lines come.
    while (!out.includes('DETAIL')) {
      if (tool.exitCode !== null)
        throw new Error(`execsnoop exited ${tool.exitCode} before it started`);
      await sleep(20);
    }
    const poke = setInterval(() => spawnSync('/bin/true'), 50);
    const [code] = await exited;
    clearInterval(poke);
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME +EVENT +PID +PPID +COMM +DETAIL$/);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d EXEC +\d+ +\d+  true +\/bin\/true$/);
    expect(lines[2]).toMatch(/^\d\d:\d\d:\d\d EXIT +\d+ +\d+  true +code 0 after [\d.]+ ms$/);
    expect(lines).toHaveLength(3);
  });
});
