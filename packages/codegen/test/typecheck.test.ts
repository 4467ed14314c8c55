import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { FIXTURES } from './fixtures.js';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

it('every golden TS module passes tsc with strict, noUncheckedIndexedAccess and exactOptionalPropertyTypes', () => {
  const run = () =>
    execFileSync(process.execPath, [tsc, '-p', join(FIXTURES, 'tsconfig.json')], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
  expect(run).not.toThrow();
}, 60_000);
