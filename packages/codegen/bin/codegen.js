#!/usr/bin/env node
// Committed launcher: npm links bins at install time, before dist/ is built.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error(
    'codegen: @bpfmaps/codegen is not built (dist/cli.js is missing). ' +
      'In the bpfmaps repository run: npx turbo run build --filter=@bpfmaps/codegen',
  );
  process.exit(2);
}
await import(cli.href);
