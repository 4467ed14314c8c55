import { chars, hash, struct, u32, u64 } from '@bpfmaps/schema';

/** A process and a syscall number. */
export const SyscallKey = struct('SyscallKey', {
  pid: u32.describe('Thread group id: the process.'),
  nr: u32.describe('Syscall number.'),
});

export const SyscallStats = struct('SyscallStats', {
  count: u64.counter(),
  comm: chars(16).describe(
    'Command name of the first thread seen making this call (TASK_COMM_LEN).',
  ),
});

export const syscalls = hash('syscalls', {
  key: SyscallKey,
  value: SyscallStats,
  maxEntries: 16384,
  doc: 'Syscalls per process and number.',
});
