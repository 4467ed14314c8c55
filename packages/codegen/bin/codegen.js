#!/usr/bin/env node
// Committed launcher: npm links bins at install time, before dist/ is built.
// In a checkout after npm ci and before a build, say so (exit 2, as for any
// input codegen cannot use) instead of failing with ERR_MODULE_NOT_FOUND.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The entry file of each package codegen runs from, where it is missing. */
function unbuilt() {
  const entries = [['@bpfmaps/codegen', new URL('../dist/cli.js', import.meta.url).href]];
  try {
    entries.push(['@bpfmaps/schema', import.meta.resolve('@bpfmaps/schema')]);
  } catch {
    // Not installed at all: the import below reports that as it is.
  }
  return entries
    .map(([name, url]) => [name, fileURLToPath(url)])
    .filter(([, path]) => !existsSync(path));
}

const missing = unbuilt();
if (missing.length > 0) {
  for (const [name, path] of missing)
    console.error(`codegen: ${name} is not built (${path} is missing).`);
  console.error(
    'Build from the repository root: npm run build (or only codegen and what it needs: npx turbo run build --filter=@bpfmaps/codegen).',
  );
  process.exit(2);
}
await import('../dist/cli.js');
