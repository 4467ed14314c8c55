/**
 * codegen: the command-line shell over generate(). Exit codes: 0 done (or
 * up to date with --check), 1 stale files found by --check, 2 bad input
 * (missing file, schema that throws or is invalid); on 2 nothing is written.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { SchemaError } from '@bpfmaps/schema';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CodegenError } from './errors.js';
import { generateFromFile } from './generate.js';
import { watchSchemas } from './watch.js';
import { staleFiles, writeAtomically, type OutputFile } from './write.js';

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

async function main(argv: string[]): Promise<number> {
  const args = await yargs(argv)
    .scriptName('codegen')
    .usage('$0 <schema..>\n\nGenerate a C header and a typed TS module from bpfmaps schema files.')
    .positional('schema', { describe: 'schema files (maps.schema.ts)', type: 'string' })
    .option('c', {
      type: 'string',
      describe: 'path of the C header (one schema only; default <name>.h beside it)',
    })
    .option('ts', {
      type: 'string',
      describe: 'path of the TS module (one schema only; default <name>.gen.ts beside it)',
    })
    .option('out-dir', {
      type: 'string',
      describe: 'directory for the generated files instead of beside each schema',
    })
    .option('check', {
      type: 'boolean',
      default: false,
      describe: 'write nothing; exit 1 if a generated file is missing or stale',
    })
    .option('watch', {
      type: 'boolean',
      default: false,
      describe: 'regenerate when a schema or a file it imports changes (Ctrl-C stops)',
    })
    .demandCommand(1, 'Name at least one schema file, e.g. codegen maps.schema.ts')
    .epilogue('Exit codes: 0 success, 1 stale files (--check), 2 invalid input (nothing written).')
    .version(version)
    .strict()
    .help()
    .parseAsync();

  const schemas = args._.map(String);
  if (schemas.length > 1 && (args.c || args.ts))
    throw new CodegenError('--c and --ts name one file each: give one schema, or use --out-dir');
  if (args.check && args.watch) throw new CodegenError('--check and --watch cannot be combined');
  if (args.watch) {
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    await watchSchemas(schemas, { c: args.c, ts: args.ts, outDir: args['out-dir'] }, stop.signal);
    return 0;
  }
  const files: OutputFile[] = [];
  for (const schema of schemas)
    files.push(
      ...(await generateFromFile(schema, { c: args.c, ts: args.ts, outDir: args['out-dir'] })),
    );

  const shown = (file: OutputFile) => relative(process.cwd(), file.path) || file.path;
  if (args.check) {
    const stale = staleFiles(files);
    for (const file of stale) console.error(`stale: ${shown(file)}`);
    if (stale.length > 0) {
      console.error(
        `Run: codegen ${process.argv
          .slice(2)
          .filter((a) => a !== '--check')
          .join(' ')}`,
      );
      return 1;
    }
    console.log(`up to date: ${files.map(shown).join(', ')}`);
    return 0;
  }
  writeAtomically(files);
  for (const file of files) console.log(`wrote ${shown(file)}`);
  return 0;
}

main(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known =
      error instanceof CodegenError ||
      error instanceof SchemaError ||
      (error as Error)?.name === 'SchemaError';
    console.error(
      `codegen: ${known ? (error as Error).message : ((error as Error)?.stack ?? String(error))}`,
    );
    process.exit(2);
  },
);
