/**
 * codegen: the command-line shell over generate(). Exit codes: 0 done (or up
 * to date with --check), 1 stale files found by --check, 2 invalid input (a
 * missing file, a schema that throws or is invalid; nothing written), 64 a
 * wrong command line (EX_USAGE). The heavy modules (esbuild, tsx, prettier)
 * load only once there is something to generate, so --help is quick.
 */
import { readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CodegenError, UsageError } from './errors.js';
import { checkOutputsAreNotInputs, planOutputs, type OutputPaths } from './paths.js';

const EXIT = { ok: 0, stale: 1, input: 2, usage: 64, signal: 130 } as const;

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
      describe:
        'directory for the generated files instead of beside each schema (created if missing)',
    })
    .option('check', {
      type: 'boolean',
      default: false,
      describe: 'write nothing; exit 1 if a generated file is missing or stale',
    })
    .option('vmlinux', {
      type: 'boolean',
      default: false,
      describe:
        "refuse C names the kernel declares too, so the header can sit beside vmlinux.h (reads the kernel's BTF)",
    })
    .option('kernel-btf', {
      type: 'string',
      describe:
        'with --vmlinux: the BTF file vmlinux.h comes from (default /sys/kernel/btf/vmlinux)',
    })
    .option('watch', {
      type: 'boolean',
      default: false,
      describe: 'regenerate when a schema or a file it imports changes (Ctrl-C stops)',
    })
    .epilogue(
      'Exit codes: 0 success, 1 stale files (--check), 2 invalid input (nothing written), 64 usage error.',
    )
    .version(version)
    .strictOptions()
    .help()
    .fail((message, error) => {
      throw error ?? new UsageError(`${message}\nRun codegen --help for the options.`);
    })
    .parseAsync();

  const schemas = args._.map(String);
  // Checked here, not by yargs, so an unknown option is reported before a missing schema.
  if (schemas.length === 0)
    throw new UsageError(
      'Name at least one schema file, e.g. codegen maps.schema.ts\nRun codegen --help for the options.',
    );
  if (args.check && args.watch) throw new UsageError('--check and --watch cannot be combined');
  const paths: OutputPaths = { c: args.c, ts: args.ts, outDir: args['out-dir'] };
  const plans = planOutputs(schemas, paths);
  if (args.watch) {
    const { watchSchemas } = await import('./watch.js');
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    await watchSchemas(schemas, paths, stop.signal);
    return EXIT.ok;
  }
  // A signal now waits for the synchronous write to finish (or not to start): no half-written pair.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => process.exit(EXIT.signal));
  const { generate } = await import('./generate.js');
  const { loadSchemaModule } = await import('./load.js');
  const { staleFiles, writeAtomically, schemaHashOf } = await import('./write.js');
  const { checkKernelNames, KERNEL_BTF } = await import('./vmlinux.js');
  const files = [];
  const imported = new Set<string>();
  for (const plan of plans) {
    const source = basename(plan.schema);
    const schemaModule = await loadSchemaModule(plan.given, (file) => imported.add(file));
    if (args.vmlinux) checkKernelNames(schemaModule, source, args['kernel-btf'] ?? KERNEL_BTF);
    files.push(
      ...(await generate(schemaModule, { source, header: plan.header, module: plan.module })),
    );
  }
  checkOutputsAreNotInputs(plans, imported);

  const shown = (path: string) => relative(process.cwd(), path) || path;
  if (args.check) {
    const stale = staleFiles(files);
    for (const file of stale) console.error(`stale: ${shown(file.path)}`);
    for (const plan of plans) {
      const [header, module] = [schemaHashOf(plan.header), schemaHashOf(plan.module)];
      if (header && module && header !== module) {
        console.error(
          `${shown(plan.header)} and ${shown(plan.module)} were generated from different versions of ${shown(plan.schema)}`,
        );
      }
    }
    if (stale.length > 0) {
      console.error(
        `Run: codegen ${process.argv
          .slice(2)
          .filter((a) => a !== '--check')
          .join(' ')}`,
      );
      return EXIT.stale;
    }
    console.log(`up to date: ${files.map((f) => shown(f.path)).join(', ')}`);
    return EXIT.ok;
  }
  writeAtomically(files);
  for (const file of files) console.log(`wrote ${shown(file.path)}`);
  return EXIT.ok;
}

main(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const usage = error instanceof UsageError;
    const known =
      usage || error instanceof CodegenError || (error as Error)?.name === 'SchemaError';
    console.error(
      `codegen: ${known ? (error as Error).message : ((error as Error)?.stack ?? String(error))}`,
    );
    process.exit(usage ? EXIT.usage : EXIT.input);
  },
);
