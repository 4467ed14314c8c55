/**
 * codegen: the command-line shell over generate(), and `codegen import`
 * (import/cli.ts), which writes a schema from a BPF object. Exit codes: 0 done (or up
 * to date with --check), 1 stale files found by --check, 2 invalid input (a
 * missing file, a schema that throws or is invalid; nothing written), 64 a
 * wrong command line (EX_USAGE), 128 + n stopped by signal n (signals.ts).
 * The heavy modules (esbuild, tsx, prettier) load only once there is
 * something to generate, so --help is quick.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import { hideBin } from 'yargs/helpers';
import { parseArgs, shellQuote, withoutCheck } from './cli-args.js';
import { CodegenError, UsageError } from './errors.js';
import { checkOutputsAreNotInputs, planOutputs } from './paths.js';
import { exitOnSignals, handlePendingSignals, onStopSignals } from './signals.js';

const EXIT = { ok: 0, stale: 1, input: 2, usage: 64 } as const;

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'import') {
    const { runImport } = await import('./import/cli.js');
    return runImport(argv.slice(1), version);
  }
  const args = await parseArgs(argv, version);
  const plans = planOutputs(args.schemas, args.paths);
  if (args.watch) {
    const { watchSchemas } = await import('./watch.js');
    const stop = new AbortController();
    onStopSignals(() => stop.abort());
    const schemas = plans.map((p) => p.given);
    await watchSchemas(schemas, args.paths, stop.signal);
    return EXIT.ok;
  }
  // From here a signal stops the run before the write starts, or once it is done: never halfway.
  exitOnSignals();
  const { generate } = await import('./generate.js');
  const { loadSchemaModule } = await import('./load.js');
  const { staleFiles, writeAtomically, schemaHashOf } = await import('./write.js');
  const { checkKernelNames, KERNEL_BTF } = await import('./vmlinux.js');
  const files = [];
  const imported = new Set<string>();
  for (const plan of plans) {
    const source = basename(plan.schema);
    const schemaModule = await loadSchemaModule(plan.given, (file) => imported.add(file));
    const pair = await generate(schemaModule, { source, header: plan.header, module: plan.module });
    if (args.vmlinux)
      checkKernelNames(schemaModule, source, args.kernelBtf ?? KERNEL_BTF, pair[0]!.content);
    files.push(...pair);
  }
  checkOutputsAreNotInputs(plans, imported);

  const shown = (path: string) => relative(process.cwd(), path) || path;
  if (args.check) {
    const stale = staleFiles(files);
    for (const file of stale)
      console.error(`${existsSync(file.path) ? 'stale' : 'missing'}: ${shown(file.path)}`);
    for (const plan of plans) {
      const [header, module] = [schemaHashOf(plan.header), schemaHashOf(plan.module)];
      if (header && module && header !== module) {
        console.error(
          `${shown(plan.header)} and ${shown(plan.module)} were generated from different versions of ${shown(plan.schema)}`,
        );
      }
    }
    if (stale.length > 0) {
      console.error(`Run: codegen ${withoutCheck(argv).map(shellQuote).join(' ')}`);
      return EXIT.stale;
    }
    console.log(`up to date: ${files.map((f) => shown(f.path)).join(', ')}`);
    return EXIT.ok;
  }
  await handlePendingSignals();
  const written = new Set(writeAtomically(files));
  for (const file of files)
    console.log(`${written.has(file) ? 'wrote' : 'up to date:'} ${shown(file.path)}`);
  await handlePendingSignals();
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
