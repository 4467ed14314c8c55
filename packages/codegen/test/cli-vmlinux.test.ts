import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliSandbox, GOOD } from './support/cli.js';

const box = cliSandbox();
const { codegen, write } = box;

describe('--vmlinux reading a BTF file', () => {
  const KERNEL = '/sys/kernel/btf/vmlinux';

  it.each([
    {
      bytes: 100_000,
      message:
        /is not a valid BTF file: truncated at byte 100000: its header says it holds \d+ bytes/,
    },
    {
      bytes: 10,
      message: /is not a valid BTF file: truncated at byte 10, inside the 24-byte header/,
    },
  ])(
    'a truncated file ($bytes bytes) is named, without a stack trace (exit 2)',
    ({ bytes, message }) => {
      write('maps.schema.ts', GOOD);
      writeFileSync(join(box.dir, 'cut.btf'), readFileSync(KERNEL).subarray(0, bytes));
      const r = codegen('--vmlinux', '--kernel-btf', 'cut.btf', 'maps.schema.ts');
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('--vmlinux: cut.btf');
      expect(r.stderr).not.toContain('    at ');
      expect(r.code).toBe(2);
      expect(readdirSync(box.dir).sort()).toEqual(['cut.btf', 'maps.schema.ts']);
    },
  );

  it('a missing --kernel-btf is named, without the hint meant for the kernel file', () => {
    write('maps.schema.ts', GOOD);
    const r = codegen('--vmlinux', '--kernel-btf', 'nope.btf', 'maps.schema.ts');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--vmlinux: cannot read nope.btf (ENOENT');
    expect(r.stderr).not.toContain('CONFIG_DEBUG_INFO_BTF');
  });
});
