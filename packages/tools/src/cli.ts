/**
 * bpfmaps: look at live eBPF maps through their schema.
 *   bpfmaps dump <schema> <map> --pin P | --id N | --object F [--format table|json|ndjson] [--where f=v] [--limit N]
 *   bpfmaps top <schema> <map> --pin P | --id N | --object F [--sort field] [--interval s] [--rows N] [--count N]
 *   bpfmaps ls [dir] [--schema file] [--format table|json]
 *   bpfmaps export <schema> --pin DIR | --object F [--attach] [--port 9435] [--maps a,b] [--max-series N] [--label from=to]
 * Exit codes: 0 done, 2 input it cannot use (a map that differs from the schema, a missing pin), 64 usage.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ToolError } from './errors.js';

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as {
  version: string;
};

const write = (text: string) => process.stdout.write(text);

// A reader that stops early (bpfmaps top | head) is no error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

/** A host as a URL writes it: IPv6 in brackets, every interface as localhost. */
function hostForUrl(host: string | undefined): string {
  if (!host || host === '::' || host === '0.0.0.0') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/** Options that may be given more than once. */
const MANY = new Set(['where', 'label']);

/** The text given for --name on the command line, for messages (yargs has made it NaN). */
function given(name: string): string {
  const argv = process.argv;
  const at = argv.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (at < 0) return 'nothing';
  const text = argv[at]!.includes('=') ? argv[at]!.slice(name.length + 3) : argv[at + 1];
  return text === undefined ? 'nothing' : JSON.stringify(text);
}

/** --pin, --id, --object, as every map command takes them. */
function origin<T>(y: Argv<T>) {
  return y
    .option('pin', { type: 'string', describe: 'the map pinned at this path (bpffs)' })
    .option('id', { type: 'number', describe: 'the map with this kernel id (bpftool map list)' })
    .option('object', {
      type: 'string',
      describe: 'a BPF object to load, for its maps (pinned ones are the live ones)',
    });
}

function positiveInt(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(Number.isInteger(value) && value > 0))
    throw new ToolError(`--${name} takes a whole number above 0, received ${given(name)}`, 64);
  return value;
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  await yargs(argv)
    .scriptName('bpfmaps')
    .usage('$0 <command>\n\nLook at live eBPF maps, decoded by their bpfmaps schema.')
    .command(
      'dump <schema> <map>',
      'every entry of a map, decoded',
      (y) =>
        origin(y)
          .positional('schema', { type: 'string', demandOption: true })
          .positional('map', { type: 'string', demandOption: true })
          .option('format', {
            choices: ['table', 'json', 'ndjson'] as const,
            default: 'table' as const,
          })
          .option('where', {
            type: 'string',
            array: true,
            describe: 'only entries whose key field reads so: --where saddr=10.0.0.1',
          })
          .option('limit', { type: 'number', describe: 'at most this many entries' }),
      async (a) => {
        const { loadSchema, findMap, openMap } = await import('./source.js');
        const { dump } = await import('./dump.js');
        positiveInt('id', a.id);
        const schema = await loadSchema(a.schema);
        const opened = openMap(findMap(schema, a.map, basename(a.schema)), a);
        try {
          dump(
            opened,
            {
              format: a.format,
              where: (a.where ?? []).map(String),
              limit: positiveInt('limit', a.limit),
            },
            write,
          );
        } finally {
          opened.close();
        }
      },
    )
    .command(
      'top <schema> <map>',
      'a live view of a map, sorted by a number of its value, with its rate',
      (y) =>
        origin(y)
          .positional('schema', { type: 'string', demandOption: true })
          .positional('map', { type: 'string', demandOption: true })
          .option('sort', {
            type: 'string',
            describe: 'the value field to sort by (default: the first number)',
          })
          .option('interval', { type: 'number', default: 1, describe: 'seconds between refreshes' })
          .option('rows', { type: 'number', default: 20, describe: 'rows shown' })
          .option('count', {
            type: 'number',
            describe: 'refreshes before stopping (default: until Ctrl-C)',
          }),
      async (a) => {
        const { loadSchema, findMap, openMap } = await import('./source.js');
        const { top } = await import('./top.js');
        if (!(a.interval > 0))
          throw new ToolError(
            `--interval takes seconds above 0, received ${given('interval')}`,
            64,
          );
        positiveInt('id', a.id);
        const schema = await loadSchema(a.schema);
        const opened = openMap(findMap(schema, a.map, basename(a.schema)), a);
        const stop = new AbortController();
        const tty = process.stdout.isTTY;
        const quit = () => stop.abort();
        process.once('SIGINT', quit);
        process.once('SIGTERM', quit);
        if (tty) write('\x1b[?25l'); // hide the cursor while redrawing
        try {
          await top(
            opened,
            {
              sort: a.sort,
              interval: a.interval,
              rows: positiveInt('rows', a.rows)!,
              count: positiveInt('count', a.count),
              title: `${a.map} (${basename(a.schema)})`,
            },
            write,
            stop.signal,
          );
        } finally {
          if (tty) write('\x1b[?25h\n');
          opened.close();
          process.off('SIGINT', quit);
          process.off('SIGTERM', quit);
        }
      },
    )
    .command(
      'ls [dir]',
      'the maps pinned under a bpffs directory, and whether a schema matches each',
      (y) =>
        y
          .positional('dir', { type: 'string', default: '/sys/fs/bpf' })
          .option('schema', {
            type: 'string',
            describe: 'check each map against the map of its name in this schema',
          })
          .option('format', { choices: ['table', 'json'] as const, default: 'table' as const }),
      async (a) => {
        const { loadSchema } = await import('./source.js');
        const { listPins, listText } = await import('./ls.js');
        const { json } = await import('./rows.js');
        const rows = listPins(
          a.dir,
          a.schema === undefined ? undefined : await loadSchema(a.schema),
        );
        write(a.format === 'json' ? `${json(rows)}\n` : listText(rows));
      },
    )
    .command(
      'export <schema>',
      'serve the maps the schema marks export: true as Prometheus metrics on /metrics',
      (y) =>
        y
          .positional('schema', { type: 'string', demandOption: true })
          .option('pin', {
            type: 'string',
            describe: 'the directory the maps are pinned in, each by its name',
          })
          .option('object', {
            type: 'string',
            describe: 'a BPF object to load, whose maps to serve',
          })
          .option('attach', {
            type: 'boolean',
            default: false,
            describe: 'with --object: attach its programs by their sections',
          })
          .option('port', { type: 'number', default: 9435 })
          .option('host', { type: 'string' })
          .option('maps', {
            type: 'string',
            describe: 'serve these maps (comma-separated), marked or not',
          })
          .option('max-series', {
            type: 'number',
            default: 10_000,
            describe: 'series per map at most; the rest sum into other',
          })
          .option('label', {
            type: 'string',
            array: true,
            describe: 'rename a label: --label saddr=src, or flows.saddr=src',
          })
          .option('prefix', { type: 'string', default: 'bpfmaps_' }),
      async (a) => {
        const { loadSchema } = await import('./source.js');
        const { startExport } = await import('./export.js');
        const labels = Object.fromEntries(
          (a.label ?? []).map((l) => {
            const [from, to] = String(l).split('=');
            if (!from || !to || !/^[A-Za-z_]\w*$/.test(to) || to.startsWith('__'))
              throw new ToolError(
                `--label takes field=name (a Prometheus label name, not starting with __), received ${JSON.stringify(l)}`,
                64,
              );
            return [from, to];
          }),
        );
        if (a.attach && a.object === undefined)
          throw new ToolError(
            '--attach attaches the programs of --object FILE: name the object',
            64,
          );
        if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535)
          throw new ToolError(
            `--port takes a port number, 0 to 65535, received ${given('port')}`,
            64,
          );
        if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(`${a.prefix}x`))
          throw new ToolError(
            `--prefix ${JSON.stringify(a.prefix)} cannot start a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)`,
            64,
          );
        const schema = await loadSchema(a.schema);
        const server = await startExport(
          schema,
          basename(a.schema),
          {
            pinDir: a.pin,
            object: a.object,
            attach: a.attach,
            port: a.port,
            host: a.host,
            maps: a.maps?.split(',').map((m) => m.trim()),
            maxSeries: positiveInt('max-series', a['max-series']),
            labels,
            prefix: a.prefix,
          },
          (line) => process.stderr.write(`${line}\n`),
        );
        process.stderr.write(
          `serving http://${hostForUrl(a.host)}:${server.port}/metrics (Ctrl-C stops)\n`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await server.close();
      },
    )
    .middleware((a) => {
      for (const [name, value] of Object.entries(a)) {
        // yargs adds a camelCase copy of each dashed option: one check each.
        if (name === '_' || name === '$0' || /[A-Z]/.test(name)) continue;
        if (Array.isArray(value) && !MANY.has(name))
          throw new ToolError(`--${name} given twice`, 64);
        if (typeof value === 'number' && Number.isNaN(value))
          throw new ToolError(`--${name} takes a number, received ${given(name)}`, 64);
      }
    }, true)
    .demandCommand(1, 'Name a command: dump, top, ls or export')
    .strict()
    .version(version)
    .help()
    .alias('h', 'help')
    .fail((message, error) => {
      throw error ?? new ToolError(`${message}\nRun bpfmaps --help for the commands.`, 64);
    })
    .parseAsync();
  return code;
}

/** Exits once stdout is flushed: to a pipe, process.exit() alone cuts a large table short. */
const exit = (code: number) => process.stdout.write('', () => process.exit(code));

main(hideBin(process.argv)).then(
  (code) => exit(code),
  (error: unknown) => {
    const e = error as Error & { exitCode?: number; code?: string };
    const known =
      error instanceof ToolError ||
      e?.name === 'BpfError' ||
      e?.name === 'SchemaError' ||
      e?.name === 'CodegenError' ||
      e?.name === 'EncodeError';
    process.stderr.write(`bpfmaps: ${known ? e.message : (e?.stack ?? String(error))}\n`);
    exit(error instanceof ToolError ? error.exitCode : 2);
  },
);
