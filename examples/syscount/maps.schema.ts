import { bool, chars, globals, hash, struct, u32, u64 } from '@bpfmaps/schema';

/** A process and a syscall number. */
export const SyscallKey = struct('SyscallKey', {
  pid: u32.describe('Thread group id: the process (0 when counting per syscall only).'),
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
  export: true, // bpfmaps export serves it: count becomes a counter, pid and nr labels
  doc: 'Syscalls per process and number.',
});

/** Set from the command line before load: the verifier prunes what they rule out. */
export const config = globals(
  '.rodata',
  {
    filter_pid: u32.describe('Count only this process (thread group id); 0 counts every process.'),
    by_process: bool.describe('Key counts by process; false counts per syscall number only.'),
  },
  { doc: 'How syscount counts, set from its command line before load.' },
);

export const counters = globals('.bss', {
  missed: u64.describe('Syscalls not counted because the syscalls map was full.'),
});
