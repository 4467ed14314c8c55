import { execFileSync, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { describeWith } from '@bpfmaps/testing';
import { expect, it } from 'vitest';
import { syscallNames } from '../src/syscall-names.js';
import { Syscount, type Row } from '../src/syscount.js';

/** The row of `rows` for `pid` whose syscall is a stat with at least `n` calls (statx or newfstatat). */
function statRow(rows: Row[], pid: number, n: bigint): Row | undefined {
  return rows.find(
    (r) => r.pid === pid && r.count >= n && /stat/.test(syscallNames().get(r.nr) ?? 'stat'),
  );
}

function describeRows(rows: Row[]): string {
  return JSON.stringify(
    rows.slice(0, 20).map((r) => [r.pid, syscallNames().get(r.nr), r.count]),
    (_, v) => (typeof v === 'bigint' ? Number(v) : v),
  );
}

/** A process that makes syscalls until killed: other traffic the filters must keep out. */
function busyProcess() {
  return spawn(process.execPath, ['-e', 'setInterval(() => require("fs").statSync("/"), 1)'], {
    stdio: 'ignore',
  });
}

describeWith(['bpf', 'tracefs'], 'syscount against the kernel', () => {
  it("counts this process's syscalls while attached, with its command name", () => {
    using counter = new Syscount();
    counter.snapshot();
    for (let i = 0; i < 500; i++) statSync('/');
    const rows = counter.snapshot();
    const stat = statRow(rows, process.pid, 500n);
    expect(stat, describeRows(rows)).toBeDefined();
    expect(stat!.comm.length).toBeGreaterThan(0);
    expect(stat!.rate).toBeGreaterThan(0);
    expect(counter.missed()).toBe(0n);
  });

  it('a pid set before load counts that process only, while another one is busy', async () => {
    const busy = busyProcess();
    try {
      using counter = new Syscount({ pid: process.pid });
      await new Promise((resolve) => setTimeout(resolve, 100)); // the other process runs meanwhile
      for (let i = 0; i < 500; i++) statSync('/');
      const rows = counter.snapshot();
      expect(statRow(rows, process.pid, 500n), describeRows(rows)).toBeDefined();
      expect(rows.filter((r) => r.pid !== process.pid)).toEqual([]);
    } finally {
      busy.kill();
    }
  });

  it('per syscall only: every key has pid 0, and no command name is read', () => {
    using counter = new Syscount({ byProcess: false });
    for (let i = 0; i < 500; i++) statSync('/');
    const rows = counter.snapshot();
    expect(rows.length).toBeGreaterThan(0);
    expect(
      rows.every((r) => r.pid === 0 && r.comm === ''),
      describeRows(rows),
    ).toBe(true);
    expect(statRow(rows, 0, 500n), describeRows(rows)).toBeDefined();
  });

  it('a full map: the syscalls it could not count are in the .bss counter', async () => {
    // A child that waits for a line, then makes 100 stat calls: filtered for, then kept waiting while the map fills.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `process.stdin.once('data', () => { for (let i = 0; i < 100; i++) require('fs').statSync('/'); process.exit(0); }); console.log('ready');`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise((resolve) => child.stdout.once('data', resolve));
    using counter = new Syscount({ pid: child.pid });
    const { syscalls } = counter.maps;
    // Every slot taken by keys no process has (the child may have a key or two from just before).
    const filler = Array.from({ length: syscalls.raw.info.maxEntries }, (_, i) => [
      { pid: 0xffffffff, nr: i },
      { count: 0n, comm: '' },
    ]) as [{ pid: number; nr: number }, { count: bigint; comm: string }][];
    try {
      syscalls.setMany(filler);
    } catch (error) {
      if ((error as { code?: string }).code !== 'MAP_FULL') throw error;
    }
    const before = counter.missed();
    child.stdin.write('go\n');
    await exited;
    expect(counter.missed() - before).toBeGreaterThanOrEqual(100n);
    expect(statRow(counter.snapshot(), child.pid!, 1n)).toBeUndefined();
  });

  it('the demo prints a table and stops by itself with --duration', () => {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', '--duration', '1', '--top', '5'],
      { encoding: 'utf8' },
    );
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^syscount: \d+ \(process, syscall\) pairs, \d+ syscalls in 1 s/);
    expect(lines[1]).toMatch(/PID +COMM +SYSCALL +COUNT +RATE\/s/);
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.length).toBeLessThanOrEqual(7);
  });

  it('the demo configures the program from its command line', () => {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', '--duration', '1', '--per-syscall', '--pid', '1'],
      { encoding: 'utf8' },
    );
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(
      /^syscount: \d+ syscalls, \d+ syscalls in 1 s \(tracepoint raw_syscalls:sys_enter, process 1 only\)/,
    );
    expect(
      lines.slice(2).every((l) => /^ +- +- /.test(l)),
      out,
    ).toBe(true);
  });

  it('the demo refuses a pid that is no process id', () => {
    const r = (() => {
      try {
        execFileSync(process.execPath, ['--import', 'tsx', 'src/main.ts', '--pid', '-3'], {
          encoding: 'utf8',
          stdio: 'pipe',
        });
        return { status: 0, stderr: '' };
      } catch (e) {
        return e as { status: number; stderr: string };
      }
    })();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--pid must be a process id (a positive integer), received -3');
  });
});
