/**
 * `codegen import <object.bpf.o>`: writes a schema file from the object's
 * BTF (see index.ts). It refuses to replace a file unless told to, and
 * writes all or nothing, as codegen does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import yargs from 'yargs';
import { CodegenError, UsageError } from '../errors.js';

export interface ImportArgs {
  object: string;
  out: string;
  maps: string[] | undefined;
  types: string[] | undefined;
  events: Record<string, string>;
  force: boolean;
}

/** The `codegen import` command line; throws UsageError (exit 64) for a wrong one. */
export async function parseImportArgs(argv: string[], version: string): Promise<ImportArgs> {
  const args = await yargs(argv)
    .scriptName('codegen import')
    .usage(
      "$0 <object.bpf.o>\n\nWrite a schema file from the maps, globals and types in a BPF object's BTF (build it with clang -g).",
    )
    .option('out', {
      alias: 'o',
      type: 'string',
      describe: 'the schema file to write (default <object name>.schema.ts here)',
    })
    .option('maps', {
      type: 'string',
      describe: 'import only these maps (comma-separated C names)',
    })
    .option('types', {
      type: 'string',
      describe: 'also declare these structs, unions or enums (comma-separated C names)',
    })
    .option('event', {
      type: 'string',
      array: true,
      describe: 'the event struct of a ring or perf buffer: --event events=event (repeatable)',
    })
    .option('force', {
      type: 'boolean',
      default: false,
      describe: 'replace the schema file if it exists',
    })
    .epilogue(
      'Exit codes: 0 written, 2 the object cannot be imported (nothing written), 64 usage error.',
    )
    .version(version)
    .help()
    .alias('h', 'help')
    .strictOptions()
    .fail((message, error) => {
      throw error ?? new UsageError(`${message}\nRun codegen import --help for the options.`);
    })
    .parseAsync();
  const [object, ...rest] = args._.map(String);
  if (!object || rest.length > 0)
    throw new UsageError(
      'Name one BPF object, e.g. codegen import build/prog.bpf.o\nRun codegen import --help for the options.',
    );
  for (const name of ['out', 'maps', 'types'] as const) {
    if (Array.isArray(args[name])) throw new UsageError(`option --${name} given twice`);
    if (args[name] === '') throw new UsageError(`option --${name} needs a value`);
  }
  const list = (value: string | undefined) =>
    value === undefined
      ? undefined
      : value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  const events: Record<string, string> = {};
  for (const pair of args.event ?? []) {
    const match = /^([A-Za-z_]\w*)=([A-Za-z_]\w*)$/.exec(String(pair));
    if (!match)
      throw new UsageError(
        `--event takes map=struct (C names), e.g. --event events=event; received ${JSON.stringify(pair)}`,
      );
    if (match[1]! in events)
      throw new UsageError(
        `--event names map ${match[1]} twice: give each ring or perf buffer one struct`,
      );
    events[match[1]!] = match[2]!;
  }
  return {
    object,
    out: args.out ?? `${basename(object).split('.')[0] || 'imported'}.schema.ts`,
    maps: list(args.maps),
    types: list(args.types),
    events,
    force: args.force,
  };
}

/** Runs `codegen import`; returns the exit code. */
export async function runImport(argv: string[], version: string): Promise<number> {
  const args = await parseImportArgs(argv, version);
  const out = resolve(args.out);
  if (out === resolve(args.object))
    throw new UsageError(`--out ${args.out} is the object itself: name a .schema.ts file`);
  if (existsSync(out) && !args.force)
    throw new CodegenError(`${args.out} exists: pass --force to replace it (nothing was written)`);
  let image: Buffer;
  try {
    image = readFileSync(args.object);
  } catch (error) {
    throw new CodegenError(`cannot read ${args.object} (${(error as Error).message})`);
  }
  const { importSchema } = await import('./index.js');
  const { formatTs } = await import('../render.js');
  const { writeAtomically } = await import('../write.js');
  const result = importSchema(image, args.object, {
    ...(args.maps && { maps: args.maps }),
    ...(args.types && { types: args.types }),
    events: args.events,
  });
  writeAtomically([{ path: out, content: await formatTs(result.code) }]);
  for (const note of result.notes) console.error(`note: ${note}`);
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  console.log(
    `wrote ${relative(process.cwd(), out) || out}: ${count(result.maps.length, 'map')}, ${count(result.types.length, 'type')}, ${count(result.globals.length, 'global')}`,
  );
  return 0;
}
