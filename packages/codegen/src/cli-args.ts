/**
 * The command line, parsed by yargs and then held to what yargs lets by:
 * a boolean with a value other than true/false, an option given twice, an
 * option without its value, and options that make no sense together are
 * usage errors (exit 64), never read as something else.
 */
import yargs from 'yargs';
import { UsageError } from './errors.js';
import type { OutputPaths } from './paths.js';

export interface CliArgs {
  schemas: string[];
  paths: OutputPaths;
  check: boolean;
  watch: boolean;
  vmlinux: boolean;
  kernelBtf: string | undefined;
}

const BOOLEANS = ['check', 'vmlinux', 'watch'] as const;
const STRINGS = ['c', 'ts', 'out-dir', 'kernel-btf'] as const;

/** `-c` or `--ts`, as the user would type it. */
const flag = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);

export async function parseArgs(argv: string[], version: string): Promise<CliArgs> {
  rejectBooleanValues(argv);
  const args = await yargs(argv)
    .scriptName('codegen')
    .usage(
      '$0 <schema..>\n\nGenerate a C header and a typed TS module from bpfmaps schema files.\n\n$0 import <object.bpf.o>: write a schema file from a BPF object written in C (codegen import --help).',
    )
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
        'directory for the generated files instead of beside each schema (created if missing; not with -c or --ts)',
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
      'Exit codes: 0 success, 1 stale files (--check), 2 invalid input (nothing written), 64 usage error, 129/130/143 stopped by SIGHUP/SIGINT (Ctrl-C)/SIGTERM.',
    )
    .version(version)
    .alias('v', 'version')
    .help()
    .alias('h', 'help')
    .strictOptions()
    .fail((message, error) => {
      throw error ?? new UsageError(`${message}\nRun codegen --help for the options.`);
    })
    .parseAsync();

  const strings: Partial<Record<(typeof STRINGS)[number], string>> = {};
  for (const name of STRINGS) {
    const value: unknown = args[name];
    if (Array.isArray(value)) throw new UsageError(`option ${flag(name)} given twice`);
    if (value === undefined) continue;
    if (value === '')
      throw new UsageError(
        `option ${flag(name)} needs a value, e.g. ${flag(name)} ${example(name)}`,
      );
    strings[name] = String(value);
  }
  const schemas = args._.map(String);
  // Checked here, not by yargs, so an unknown option is reported before a missing schema.
  if (schemas.length === 0)
    throw new UsageError(
      'Name at least one schema file, e.g. codegen maps.schema.ts\nRun codegen --help for the options.',
    );
  if (args.check && args.watch) throw new UsageError('--check and --watch cannot be combined');
  if (strings['kernel-btf'] !== undefined && !args.vmlinux)
    throw new UsageError('--kernel-btf only applies with --vmlinux');
  return {
    schemas,
    paths: { c: strings.c, ts: strings.ts, outDir: strings['out-dir'] },
    check: args.check,
    watch: args.watch,
    vmlinux: args.vmlinux,
    kernelBtf: strings['kernel-btf'],
  };
}

function example(name: (typeof STRINGS)[number]): string {
  return { c: 'maps.h', ts: 'maps.gen.ts', 'out-dir': 'generated', 'kernel-btf': 'vmlinux.btf' }[
    name
  ];
}

/** The arguments before `--`, where options can be. */
function optionArgs(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end === -1 ? argv : argv.slice(0, end);
}

/** yargs reads `--check=yes` as false: a CI check written so would never fail. */
function rejectBooleanValues(argv: readonly string[]): void {
  for (const arg of optionArgs(argv)) {
    const match = /^--(?:no-)?([\w-]+)=(.*)$/s.exec(arg);
    if (!match || !(BOOLEANS as readonly string[]).includes(match[1]!)) continue;
    if (match[2] !== 'true' && match[2] !== 'false')
      throw new UsageError(
        `option --${match[1]} takes no value (or true/false), not ${JSON.stringify(match[2])}`,
      );
  }
}

/**
 * The command line without --check (in any spelling), to print as the fix:
 * `--check`, `--check=true`, `--check true` and `--no-check` forms all go.
 */
export function withoutCheck(argv: readonly string[]): string[] {
  const out: string[] = [];
  const options = optionArgs(argv).length;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (i < options && /^--(no-)?check(=.*)?$/s.test(arg)) {
      if (!arg.includes('=') && /^(true|false)$/.test(argv[i + 1] ?? '')) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** An argument as a POSIX shell reads it back. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
