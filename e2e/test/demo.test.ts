/**
 * npm run demo as the README runs it. The demo rebuilds the examples through
 * turbo, which may rewrite their outputs: e2e's test task runs after the
 * examples' tests (e2e/turbo.json, ^test), so none of them reads a file
 * while it is rewritten.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeWith } from '@bpfmaps/testing';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describeWith(['clang', 'libbpf-headers', 'bpf', 'tracefs'], 'npm run demo', () => {
  it("prints the examples' output and nothing of the build", () => {
    const r = spawnSync('npm', ['run', '--silent', 'demo'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(
      'proto  source                   destination              packets    bytes',
    );
    for (const chrome of ['turbo', 'Tasks:', 'cache hit', 'cache miss', '> @bpfmaps/'])
      expect(r.stdout).not.toContain(chrome);
    expect(r.stdout).toContain('dropped MALFORMED: 1 packet, 20 bytes');
    expect(r.stdout).toContain('rule 1  10.0.0.0/8         1 hit\n');
    expect(r.stdout).toMatch(/^syscount: \d+ \(process, syscall\) pairs/m);
  });
});
