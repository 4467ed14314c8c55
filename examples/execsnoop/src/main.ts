/**
 * execsnoop: prints a line for every exec and every process exit on the
 * machine, as they happen. Runs until Ctrl-C, for --duration seconds, or
 * until --count events.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { Execsnoop } from './execsnoop.js';
import { formatEvent, HEADER } from './format.js';

const args = yargs(hideBin(process.argv))
  .scriptName('execsnoop')
  .option('duration', { type: 'number', describe: 'stop after this many seconds' })
  .option('count', { type: 'number', describe: 'stop after this many events' })
  .option('comm', { type: 'string', describe: 'only processes with this command name' })
  .strict()
  .help()
  .parseSync();

const stop = new AbortController();
if (args.duration !== undefined) setTimeout(() => stop.abort(), args.duration * 1000);
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
// `execsnoop | head`: stop quietly once the reader has gone.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  stop.abort();
});

using snoop = new Execsnoop();
console.log(HEADER);
let printed = 0;
for await (const event of snoop.events(stop.signal)) {
  if (args.comm !== undefined && event.comm !== args.comm) continue;
  console.log(formatEvent(event));
  if (++printed === args.count) break;
}
const drops = snoop.drops();
if (drops > 0n) console.error(`execsnoop: ${drops} events dropped: the ring buffer was full`);
