import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The committed launcher, copied into a package layout the test controls: the
// workspace's own dist/ is never removed (other suites run from it).
const LAUNCHER = fileURLToPath(new URL('../bin/codegen.js', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bpfmaps-launcher-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

/** A checkout after npm ci: codegen's launcher in place, and a schema package whose dist may be missing. */
function layout(options: { codegenBuilt: boolean; schemaBuilt: boolean }): string {
  write('package.json', JSON.stringify({ name: 'root', private: true, type: 'module' }));
  write(
    'node_modules/@bpfmaps/schema/package.json',
    JSON.stringify({ name: '@bpfmaps/schema', type: 'module', exports: './dist/index.js' }),
  );
  if (options.schemaBuilt) write('node_modules/@bpfmaps/schema/dist/index.js', '');
  write(
    'packages/codegen/package.json',
    JSON.stringify({ name: '@bpfmaps/codegen', type: 'module' }),
  );
  if (options.codegenBuilt)
    write(
      'packages/codegen/dist/cli.js',
      "import '@bpfmaps/schema';\nconsole.log('cli ran', process.argv.slice(2));\n",
    );
  const bin = join(dir, 'packages/codegen/bin/codegen.js');
  mkdirSync(dirname(bin), { recursive: true });
  copyFileSync(LAUNCHER, bin);
  return bin;
}

function launch(bin: string) {
  const r = spawnSync(process.execPath, [bin, 'maps.schema.ts'], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the codegen launcher (bin/codegen.js)', () => {
  it('before a build: says codegen is not built and how to build it, exit 2', () => {
    const r = launch(layout({ codegenBuilt: false, schemaBuilt: false }));
    expect(r.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(r.stderr).toContain(
      `codegen: @bpfmaps/codegen is not built (${join(dir, 'packages/codegen/dist/cli.js')} is missing).`,
    );
    expect(r.stderr).toContain('codegen: @bpfmaps/schema is not built');
    expect(r.stderr).toContain('npm run build');
    expect(r.code).toBe(2);
  });

  it('with codegen built but not the schema package it imports: names that one', () => {
    const r = launch(layout({ codegenBuilt: true, schemaBuilt: false }));
    expect(r.stderr).toContain(
      `codegen: @bpfmaps/schema is not built (${join(dir, 'node_modules/@bpfmaps/schema/dist/index.js')} is missing).`,
    );
    expect(r.stderr).not.toContain('@bpfmaps/codegen is not built');
    expect(r.code).toBe(2);
  });

  it('once built: runs the CLI with the arguments', () => {
    const r = launch(layout({ codegenBuilt: true, schemaBuilt: true }));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe("cli ran [ 'maps.schema.ts' ]\n");
    expect(r.code).toBe(0);
  });
});
