#!/usr/bin/env node
// Committed launcher: npm links bins at install time, before dist/ is built.
// In a checkout before a build, say so (exit 2) instead of ERR_MODULE_NOT_FOUND.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error(`bpfmaps: @bpfmaps/tools is not built (${cli} is missing).`);
  console.error('Build from the repository root: npm run build.');
  process.exit(2);
}
await import('../dist/cli.js');
