/**
 * syscount: a live, top-style table of syscalls per process, counted in the
 * kernel by a tracepoint program and read through the generated accessor.
 * --pid and --per-syscall configure the program before it loads (.rodata).
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
  .option('pid', {
    type: 'number',
    describe: 'count only this process (filtered in the kernel)',
  })
  .option('per-syscall', {
    type: 'boolean',
    default: false,
    describe: 'count per syscall only, not per process',
  })
  .check((a) => {
    if (a.pid !== undefined && !(Number.isInteger(a.pid) && a.pid > 0 && a.pid < 2 ** 32))
      throw new Error(`--pid must be a process id (a positive integer), received ${a.pid}`);
    return true;
  })
  .strict()
  .help()
  .parseSync();

const names = syscallNames();
const live = process.stdout.isTTY && args.duration === undefined;

function render(rows: Row[], missed: bigint, elapsed: number): string {
  const shown = rows.slice(0, args.top);
  const total = rows.reduce((sum, r) => sum + r.count, 0n);
  const what = args.perSyscall ? 'syscalls' : '(process, syscall) pairs';
  const scope = args.pid === undefined ? '' : `, process ${args.pid} only`;
  const lines = [
    `syscount: ${rows.length} ${what}, ${total} syscalls in ${elapsed.toFixed(0)} s (tracepoint raw_syscalls:sys_enter${scope})${missed > 0n ? `, ${missed} missed: the map is full` : ''}`,
    `${'PID'.padStart(8)}  ${'COMM'.padEnd(16)} ${'SYSCALL'.padEnd(20)} ${'COUNT'.padStart(12)} ${'RATE/s'.padStart(10)}`,
    ...shown.map(
      (r) =>
        `${(args.perSyscall ? '-' : String(r.pid)).padStart(8)}  ${(args.perSyscall ? '-' : r.comm).padEnd(16)} ${(names.get(r.nr) ?? `#${r.nr}`).padEnd(20)} ${String(r.count).padStart(12)} ${r.rate.toFixed(0).padStart(10)}`,
    ),
  ];
  return lines.join('\n');
}

const counter = new Syscount({ pid: args.pid, byProcess: !args.perSyscall });
const started = performance.now();
const stop = () => {
  clearInterval(timer);
  clearTimeout(deadline);
  const table = render(counter.snapshot(), counter.missed(), (performance.now() - started) / 1000);
  counter.close();
  if (!live) console.log(table);
  process.exit(0);
};
const timer = setInterval(() => {
  if (live)
    process.stdout.write(
      `\x1b[H\x1b[2J${render(counter.snapshot(), counter.missed(), (performance.now() - started) / 1000)}\n(Ctrl-C to quit)\n`,
    );
}, args.interval * 1000);
const deadline = args.duration === undefined ? undefined : setTimeout(stop, args.duration * 1000);
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
