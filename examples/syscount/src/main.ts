/**
 * syscount: a live, top-style table of syscalls per process, counted in the
 * kernel by a tracepoint program and read through the generated accessor.
 * Runs until Ctrl-C, or for --duration seconds.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { syscallNames } from './syscall-names.js';
import { Syscount, type Row } from './syscount.js';

const args = yargs(hideBin(process.argv))
  .scriptName('syscount')
  .option('duration', {
    type: 'number',
    describe: 'stop after this many seconds (default: until Ctrl-C)',
  })
  .option('interval', { type: 'number', default: 1, describe: 'seconds between refreshes' })
  .option('top', { type: 'number', default: 15, describe: 'rows to show' })
  .option('pid', { type: 'number', describe: 'only this process' })
  .strict()
  .help()
  .parseSync();

const names = syscallNames();
const live = process.stdout.isTTY && args.duration === undefined;

function render(rows: Row[], elapsed: number): string {
  const shown = rows.filter((r) => args.pid === undefined || r.pid === args.pid).slice(0, args.top);
  const total = rows.reduce((sum, r) => sum + r.count, 0n);
  const lines = [
    `syscount: ${rows.length} (process, syscall) pairs, ${total} syscalls in ${elapsed.toFixed(0)} s (tracepoint raw_syscalls:sys_enter)`,
    `${'PID'.padStart(8)}  ${'COMM'.padEnd(16)} ${'SYSCALL'.padEnd(20)} ${'COUNT'.padStart(12)} ${'RATE/s'.padStart(10)}`,
    ...shown.map(
      (r) =>
        `${String(r.pid).padStart(8)}  ${r.comm.padEnd(16)} ${(names.get(r.nr) ?? `#${r.nr}`).padEnd(20)} ${String(r.count).padStart(12)} ${r.rate.toFixed(0).padStart(10)}`,
    ),
  ];
  return lines.join('\n');
}

const counter = new Syscount();
const started = performance.now();
const stop = () => {
  clearInterval(timer);
  clearTimeout(deadline);
  const rows = counter.snapshot();
  counter.close();
  if (!live) console.log(render(rows, (performance.now() - started) / 1000));
  process.exit(0);
};
const timer = setInterval(() => {
  if (live)
    process.stdout.write(
      `\x1b[H\x1b[2J${render(counter.snapshot(), (performance.now() - started) / 1000)}\n(Ctrl-C to quit)\n`,
    );
}, args.interval * 1000);
const deadline = args.duration === undefined ? undefined : setTimeout(stop, args.duration * 1000);
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
