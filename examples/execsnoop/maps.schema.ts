/**
 * execsnoop: one event per exec and per process exit, multiplexed on one
 * ring buffer by their kind, and the start time of each process in a map.
 */
import {
  bytes,
  chars,
  enumType,
  i32,
  lruHash,
  ringbuf,
  struct,
  tagged,
  u32,
  u64,
} from '@bpfmaps/schema';

export const EventKind = enumType('EventKind', { EXEC: 1, EXIT: 2 });

/** A process replaced its image (sched:sched_process_exec). */
export const ExecEvent = struct(
  'ExecEvent',
  {
    kind: EventKind,
    pid: u32.describe('Thread group id: the process.'),
    ppid: u32.describe('Parent process.'),
    uid: u32,
    comm: chars(16).describe('Command name after the exec (TASK_COMM_LEN).'),
    filename: chars(128).describe('The file executed, cut to 127 bytes.'),
    argsSize: u32.describe('Bytes of args used.'),
    args: bytes(512).describe('The arguments, NUL-separated, cut to 512 bytes.'),
  },
  { tail: { field: 'args', length: 'argsSize' } },
);

/** A process ended (sched:sched_process_exit of its last thread). */
export const ExitEvent = struct('ExitEvent', {
  kind: EventKind,
  pid: u32,
  ppid: u32,
  code: i32.describe('Exit status, when it exited.'),
  signal: u32.describe('The signal that ended it, or 0.'),
  comm: chars(16),
  durationNs: u64.describe('Since its exec, when it was seen; else 0.'),
});

export const events = ringbuf('events', {
  event: tagged('kind', { EXEC: ExecEvent, EXIT: ExitEvent }),
  size: 256 * 1024,
  doc: 'Execs and exits, in the order they happened.',
});

export const execStarts = lruHash('exec_starts', {
  key: u32,
  value: u64,
  maxEntries: 16384,
  doc: 'When each process last exec()ed (bpf_ktime_get_ns), until it exits.',
});
