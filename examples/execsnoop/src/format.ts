import type { ProcessEvent } from './execsnoop.js';

export const HEADER = `${'TIME'.padEnd(8)} ${'EVENT'.padEnd(5)} ${'PID'.padStart(7)} ${'PPID'.padStart(7)}  ${'COMM'.padEnd(16)} DETAIL`;

/** The NUL-separated arguments of an exec, as a shell would quote them. */
export function argv(args: Uint8Array): string[] {
  const text = new TextDecoder().decode(args);
  const parts = text.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/** The command line, as execsnoop shows it; the file when the arguments could not be read. */
function execDetail(e: Extract<ProcessEvent, { kind: 'EXEC' }>): string {
  const args = argv(e.args);
  return args.length > 0 ? args.map(quote).join(' ') : quote(e.filename);
}

/** How an exit reads: its code or signal, and how long the process ran since its exec. */
function exitDetail(e: Extract<ProcessEvent, { kind: 'EXIT' }>): string {
  const how = e.signal ? `signal ${e.signal}` : `code ${e.code}`;
  if (e.durationNs === 0n) return how;
  const ms = Number(e.durationNs) / 1e6;
  return `${how} after ${ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`}`;
}

/** One line per event, under HEADER. */
export function formatEvent(e: ProcessEvent, at: Date = new Date()): string {
  const time = at.toTimeString().slice(0, 8);
  const detail =
    e.kind === 'EXEC' ? [e.filename, ...argv(e.args).slice(1)].map(quote).join(' ') : exitDetail(e);
  return `${time} ${e.kind.padEnd(5)} ${String(e.pid).padStart(7)} ${String(e.ppid).padStart(7)}  ${e.comm.padEnd(16)} ${detail}`;
}
