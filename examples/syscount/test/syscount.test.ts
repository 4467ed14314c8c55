import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { describeWith } from '@bpfmaps/testing';
import { expect, it } from 'vitest';
import { syscallNames } from '../src/syscall-names.js';
import { Syscount } from '../src/syscount.js';

describeWith(['bpf', 'tracefs'], 'syscount against the kernel', () => {
  it("counts this process's syscalls while attached, with its command name", () => {
    using counter = new Syscount();
    counter.snapshot();
    for (let i = 0; i < 500; i++) statSync('/');
    const mine = counter.snapshot().filter((r) => r.pid === process.pid);
    const total = mine.reduce((sum, r) => sum + r.count, 0n);
    expect(total).toBeGreaterThanOrEqual(500n);
    // 500 stat calls are one syscall number with at least 500 calls (statx or newfstatat).
    const stat = mine.find(
      (r) => r.count >= 500n && /stat/.test(syscallNames().get(r.nr) ?? 'stat'),
    );
    expect(
      stat,
      JSON.stringify(
        mine.map((r) => [syscallNames().get(r.nr), r.count]),
        (_, v) => (typeof v === 'bigint' ? Number(v) : v),
      ),
    ).toBeDefined();
    expect(stat!.comm.length).toBeGreaterThan(0);
    expect(stat!.rate).toBeGreaterThan(0);
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
});
