import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** One folder per feature, each with a maps.schema.ts and its expected outputs. */
export const fixtures = readdirSync(FIXTURES)
  .filter((name) => statSync(join(FIXTURES, name)).isDirectory())
  .sort()
  .map((name) => ({
    name,
    dir: join(FIXTURES, name),
    schema: join(FIXTURES, name, 'maps.schema.ts'),
  }));
