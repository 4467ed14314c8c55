/**
 * BpfError is the one error class of the runtime, and this file is the one
 * place that knows what an errno means. The meaning depends on the
 * operation: ENOENT is "no such key" for a lookup and "nothing pinned
 * there" for opening a pin; EPERM needs CAP_BPF for most commands and
 * CAP_SYS_ADMIN for opening a map by id.
 */
import { EncodeError } from '@bpfmaps/schema';

/** What kind of failure: stable across kernels, for code to branch on. */
export type BpfErrorCode =
  /** The key is not in the map. */
  | 'KEY_NOT_FOUND'
  /** The key is already in the map (set with 'noexist'). */
  | 'KEY_EXISTS'
  /** The map holds max_entries elements. */
  | 'MAP_FULL'
  /** An array index at or past max_entries. */
  | 'OUT_OF_RANGE'
  /** A capability, a file mode or a map's access flags forbid the operation. */
  | 'PERMISSION'
  /** The map's layout differs from the schema. */
  | 'INCOMPATIBLE'
  /** The kernel, the map type or the program type has no such operation. */
  | 'NOT_SUPPORTED'
  /** The kernel refused an argument. */
  | 'INVALID'
  /** No such file, pin, id, map, program or hook. */
  | 'NOT_FOUND'
  /** Something already exists where a new one was to go (a pin path). */
  | 'EXISTS'
  /** The verifier refused a program: the error carries its log. */
  | 'VERIFIER'
  /** The object is opened but not loaded yet, or the program's autoload was off. */
  | 'NOT_LOADED'
  /** A compare-and-swap kept finding the value changed by someone else (update()). */
  | 'CONFLICT'
  /** The handle (map, object, program, link) was closed before the call. */
  | 'CLOSED'
  /** Out of memory, file descriptors or another system resource. */
  | 'SYSTEM';

/** The operations whose errnos mean different things. */
export type OpClass =
  | 'ordered'
  | 'element'
  | 'index'
  | 'open-pin'
  | 'open-id'
  | 'pin-dir'
  | 'pin'
  | 'unpin'
  | 'create'
  | 'open-object'
  | 'load'
  | 'attach'
  | 'test-run'
  | 'info'
  | 'read-only';

/**
 * How a handle's errnos read: one class, or several, the first that has a
 * meaning for the errno deciding (a read-only handle's, then its kind's).
 */
export type ErrnoClass = OpClass | readonly OpClass[];

interface Meaning {
  code: BpfErrorCode;
  hint?: string;
}

const CAP_BPF =
  'bpf(2) needs CAP_BPF (or CAP_SYS_ADMIN on kernels before 5.8); run as root or grant the capability';

/** What each errno means in any operation, unless the operation's own row says otherwise. */
const COMMON: Record<string, Meaning> = {
  EPERM: { code: 'PERMISSION', hint: CAP_BPF },
  EACCES: { code: 'PERMISSION', hint: CAP_BPF },
  EINVAL: { code: 'INVALID' },
  EOPNOTSUPP: { code: 'NOT_SUPPORTED' },
  ENOTSUPP: { code: 'NOT_SUPPORTED' },
  ENOENT: { code: 'NOT_FOUND' },
  EEXIST: { code: 'EXISTS' },
  EMFILE: {
    code: 'SYSTEM',
    hint: 'this process has too many open files: close handles you no longer need, or raise the limit (ulimit -n)',
  },
  ENFILE: { code: 'SYSTEM', hint: 'the system has too many open files' },
  ENOMEM: {
    code: 'SYSTEM',
    hint: 'out of memory (kernels before 5.11 also count locked memory: raise ulimit -l)',
  },
  EBADF: { code: 'CLOSED', hint: 'the file descriptor is not open' },
};

const UNPIN_MODES =
  "file modes decide who may unpin, not CAP_BPF: unpinning needs write and search permission on the directory and, in a sticky one (such as a bpf filesystem's root, mode 1777), ownership of the pin";

const LOAD_EPERM: Meaning = {
  code: 'PERMISSION',
  hint: 'loading programs needs CAP_BPF, plus CAP_PERFMON for tracing or CAP_NET_ADMIN for networking programs; run as root',
};

// libbpf's own error numbers (LIBBPF_ERRNO__*) come back from opening and loading objects.
const LIBBPF_ERRNOS_MEANING: Record<string, Meaning> = {
  LIBBPF_ERRNO__LIBELF: { code: 'INVALID', hint: 'libelf could not read the file' },
  LIBBPF_ERRNO__FORMAT: {
    code: 'INVALID',
    hint: 'the file is not a BPF ELF object (build it with clang -target bpf)',
  },
  LIBBPF_ERRNO__KVERSION: {
    code: 'INVALID',
    hint: 'the object names a kernel version this kernel refuses',
  },
  LIBBPF_ERRNO__ENDIAN: {
    code: 'INVALID',
    hint: 'the object was built for the other byte order',
  },
  LIBBPF_ERRNO__RELOC: {
    code: 'INVALID',
    hint: 'libbpf could not relocate the object (see the log)',
  },
  LIBBPF_ERRNO__PROG2BIG: { code: 'INVALID', hint: 'a program is too large for the kernel' },
  LIBBPF_ERRNO__PROGTYPE: {
    code: 'NOT_SUPPORTED',
    hint: 'this kernel does not have a program type the object uses',
  },
};

const TABLE: Record<OpClass, Record<string, Meaning>> = {
  element: {
    ENOENT: {
      code: 'KEY_NOT_FOUND',
      hint: "the key is not in the map (mode 'exist' updates only keys that are)",
    },
    EEXIST: {
      code: 'KEY_EXISTS',
      hint: "the key is already in the map (mode 'noexist' adds only new keys)",
    },
    E2BIG: {
      code: 'MAP_FULL',
      hint: 'the map holds max_entries elements; delete some or declare a larger maxEntries',
    },
    ENOSPC: {
      code: 'MAP_FULL',
      hint: 'the map holds max_entries elements; delete some or declare a larger maxEntries',
    },
    EPERM: {
      code: 'PERMISSION',
      hint: `${CAP_BPF}; or the map's flags (rdonly, wronly) forbid this from user space`,
    },
  },
  ordered: {
    E2BIG: {
      code: 'MAP_FULL',
      hint: 'it holds max_entries values: pop some, or push with { overwrite: true } to drop the oldest',
    },
  },
  index: {
    ENOENT: { code: 'KEY_NOT_FOUND' },
    EEXIST: { code: 'KEY_EXISTS', hint: "array elements always exist: 'noexist' never succeeds" },
    E2BIG: { code: 'OUT_OF_RANGE', hint: 'array indexes run from 0 to max_entries - 1' },
    EPERM: {
      code: 'PERMISSION',
      hint: `${CAP_BPF}; or the map's flags (rdonly, wronly) forbid this from user space`,
    },
  },
  // Opening reads the file; parsing it is libbpf's, and so are its error numbers.
  'open-object': {
    EACCES: {
      code: 'PERMISSION',
      hint: "this user may not read the file (check its mode, and its directories', with ls -l)",
    },
    EINVAL: { code: 'INVALID', hint: 'libbpf could not parse the ELF file (see the log)' },
    EISDIR: { code: 'INVALID', hint: 'this is a directory, not a BPF object file' },
    ENOTDIR: { code: 'NOT_FOUND', hint: 'a part of the path is not a directory' },
    ...LIBBPF_ERRNOS_MEANING,
  },
  load: {
    EPERM: LOAD_EPERM,
    // libbpf looks the target of tp_btf/, fentry/, fexit/ and lsm/ programs up in the kernel's BTF.
    ESRCH: {
      code: 'NOT_FOUND',
      hint: 'the kernel has no function or tracepoint of the name the section gives (see the log); check it in /sys/kernel/btf/vmlinux (bpftool btf dump file /sys/kernel/btf/vmlinux | grep <name>)',
    },
    EACCES: { code: 'PERMISSION', hint: 'the kernel refused the program (see the log)' },
    ...LIBBPF_ERRNOS_MEANING,
  },
  // Pins are files: their modes, and their directories', decide who may use them, not CAP_BPF.
  'open-pin': {
    ENOENT: { code: 'NOT_FOUND', hint: 'nothing is pinned at this path' },
    EACCES: {
      code: 'PERMISSION',
      hint: "a pin's file mode decides who may open it, not CAP_BPF: opening needs read and write permission on the pin (read alone with { readOnly: true }) and search permission on each directory above it (ls -l shows them)",
    },
    EINVAL: { code: 'INVALID', hint: 'the path is not a pinned BPF object' },
  },
  'pin-dir': {
    ENOENT: {
      code: 'NOT_FOUND',
      hint: 'create the directory on a bpf filesystem, or mount one (mount -t bpf bpf /sys/fs/bpf)',
    },
    ENOTDIR: { code: 'NOT_FOUND', hint: 'a part of the path is not a directory' },
    EACCES: {
      code: 'PERMISSION',
      hint: 'file modes decide who may reach a pin, not CAP_BPF: each directory on the path needs search permission',
    },
  },
  'open-id': {
    ENOENT: { code: 'NOT_FOUND', hint: 'no map has this id (list them with bpftool map list)' },
    EPERM: {
      code: 'PERMISSION',
      hint: 'the kernel opens maps by id (BPF_MAP_GET_FD_BY_ID) only for CAP_SYS_ADMIN, and CAP_BPF is not enough; run as root, or reach the map another way (its BPF object, a pin, the handle you stored)',
    },
  },
  pin: {
    EEXIST: { code: 'EXISTS', hint: 'something is already pinned at this path; unpin it first' },
    ENOENT: { code: 'NOT_FOUND', hint: 'the directory does not exist on the bpf filesystem' },
    EACCES: {
      code: 'PERMISSION',
      hint: 'file modes decide who may pin where, not CAP_BPF: pinning needs write and search permission on the directory (ls -ld shows it)',
    },
  },
  unpin: {
    ENOENT: { code: 'NOT_FOUND', hint: 'nothing is pinned at this path' },
    EACCES: { code: 'PERMISSION', hint: UNPIN_MODES },
    EPERM: { code: 'PERMISSION', hint: UNPIN_MODES },
  },
  create: {
    EINVAL: { code: 'INVALID', hint: "the kernel refused the map's type, sizes or flags" },
    E2BIG: {
      code: 'INVALID',
      hint: 'the key, value or max_entries is too large for this map type',
    },
  },
  // The attach functions look at the machine for the real cause (src/attach/); these are what is left.
  attach: {
    ENOENT: { code: 'NOT_FOUND', hint: 'the kernel has no such hook (check its name)' },
    ENODEV: { code: 'NOT_FOUND', hint: 'no such network interface' },
    ESRCH: { code: 'NOT_FOUND', hint: 'no such process' },
    EBUSY: { code: 'EXISTS', hint: 'the hook already has a program attached' },
    EEXIST: {
      code: 'EXISTS',
      hint: 'the program is already attached to this hook; close the link you have (or attach another program)',
    },
    EOPNOTSUPP: {
      code: 'NOT_SUPPORTED',
      hint: 'this kernel does not support attaching this program type here',
    },
  },
  'test-run': {
    EINVAL: {
      code: 'INVALID',
      hint: 'the input does not fit the program type (XDP and TC need a frame of at least 14 bytes; raw tracepoints take a ctx of at most 96 bytes and no data or repeat)',
    },
    ENOTSUPP: {
      code: 'NOT_SUPPORTED',
      hint: 'this program type cannot be run with BPF_PROG_TEST_RUN',
    },
  },
  info: {},
  // Opened with BPF_F_RDONLY: the kernel refuses writes through the fd with EPERM, whatever the capabilities.
  'read-only': {
    EPERM: {
      code: 'PERMISSION',
      hint: 'this handle was opened read-only ({ readOnly: true }) and the kernel refuses writes through it; to write, open the pin without readOnly (that needs write permission on the pin)',
    },
  },
};

export interface BpfErrorDetails {
  code: BpfErrorCode;
  /** The operation that failed: `get`, `set`, `delete`, `open pinned map`, ... */
  op: string;
  /** The map, object, program or path the operation was on. */
  target: string;
  /** Positive errno, when the kernel or libbpf returned one. */
  errno?: number;
  /** The decoded key, when the operation had one. */
  key?: unknown;
  detail?: string;
  /** What libbpf said during the operation (the verifier's log for a refused program). */
  log?: string;
}

/**
 * BpfError: every failure of the runtime. Its message names the operation,
 * the target, the errno and what to do (`set flows: E2BIG (errno 7): the map
 * holds max_entries elements ...`).
 */
/** Lines of a log a message carries: a verifier log can run to megabytes; its end says why. */
const MESSAGE_LOG_LINES = 40;

/** The end of a log, for a message (the whole log stays in `error.log`). */
function logEnd(log: string | undefined): string {
  if (!log?.trim()) return '';
  const lines = log.trimEnd().split('\n');
  if (lines.length <= MESSAGE_LOG_LINES) return `\n${lines.join('\n')}`;
  return `\n(the last ${MESSAGE_LOG_LINES} of ${lines.length} lines of the log; all of it is in error.log)\n${lines.slice(-MESSAGE_LOG_LINES).join('\n')}`;
}

export class BpfError extends Error {
  override readonly name = 'BpfError';
  readonly code: BpfErrorCode;
  readonly op: string;
  readonly target: string;
  readonly errno: number | undefined;
  readonly key: unknown;
  /** libbpf's messages during the operation; the verifier log for code VERIFIER. */
  readonly log: string | undefined;

  constructor(details: BpfErrorDetails) {
    const name = details.errno === undefined ? undefined : errnoName(details.errno);
    const errno =
      details.errno === undefined
        ? ''
        : name!.startsWith('errno ')
          ? `: ${name}`
          : `: ${name} (errno ${details.errno})`;
    const key = details.key === undefined ? '' : ` for key ${formatKey(details.key)}`;
    super(
      `${details.op} ${details.target}${key}${errno}${details.detail ? `: ${details.detail}` : ''}${logEnd(details.log)}`,
    );
    this.code = details.code;
    this.op = details.op;
    this.target = details.target;
    this.errno = details.errno;
    this.key = details.key;
    this.log = details.log;
  }
}

/**
 * The error for `-errno` returned by `op` (of class `opClass`) on `target`.
 * `extra.hint` replaces the table's hint where the caller found out more
 * than the errno says (which capability this process lacks).
 */
export function errnoError(
  ret: number,
  opClass: ErrnoClass,
  op: string,
  target: string,
  extra: { key?: unknown; detail?: string; hint?: string; log?: string } = {},
): BpfError {
  const errno = Math.abs(ret);
  const name = errnoName(errno);
  const classes: readonly OpClass[] = typeof opClass === 'string' ? [opClass] : opClass;
  const meaning = classes.map((c) => TABLE[c][name]).find((m) => m !== undefined) ??
    COMMON[name] ?? { code: 'SYSTEM' as const };
  const hint = extra.hint ?? meaning.hint;
  const detail = [extra.detail, hint].filter(Boolean).join('; ') || undefined;
  return new BpfError({
    code: meaning.code,
    op,
    target,
    errno,
    key: extra.key,
    detail,
    log: extra.log,
  });
}

/** The error for using a handle after close(). */
export function closedError(op: string, target: string): BpfError {
  return new BpfError({ code: 'CLOSED', op, target, detail: 'the handle is closed' });
}

/**
 * An EncodeError again, with where it struck at the head of its path: the
 * call, the map and the item (`getMany flows key 3: FlowKey.sport`); any
 * other error as it is.
 */
export function encodingIn(error: unknown, where: string): unknown {
  // By name: a codec generated against another copy of @bpfmaps/schema throws that copy's class.
  if (!(error instanceof Error) || error.name !== 'EncodeError') return error;
  const e = error as EncodeError;
  const head = `${e.path}: expected ${e.expected}, received `;
  const received = e.message.startsWith(head) ? e.message.slice(head.length) : undefined;
  return new EncodeError(`${where}: ${e.path}`, e.expected, e.received, received);
}

/** A value received, as a message shows it: strings quoted, bigints with their n. */
export function formatReceived(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'string' && typeof value !== 'object') return String(value);
  return formatKey(value);
}

function formatKey(key: unknown): string {
  return JSON.stringify(key, (_k, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Array.from(v) : v,
  );
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  3: 'ESRCH',
  4: 'EINTR',
  5: 'EIO',
  6: 'ENXIO',
  7: 'E2BIG',
  9: 'EBADF',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  14: 'EFAULT',
  16: 'EBUSY',
  17: 'EEXIST',
  19: 'ENODEV',
  20: 'ENOTDIR',
  21: 'EISDIR',
  22: 'EINVAL',
  23: 'ENFILE',
  24: 'EMFILE',
  28: 'ENOSPC',
  30: 'EROFS',
  34: 'ERANGE',
  36: 'ENAMETOOLONG',
  38: 'ENOSYS',
  95: 'EOPNOTSUPP',
  110: 'ETIMEDOUT',
  524: 'ENOTSUPP',
};

const LIBBPF_ERRNOS = [
  'LIBELF',
  'FORMAT',
  'KVERSION',
  'ENDIAN',
  'INTERNAL',
  'RELOC',
  'LOAD',
  'VERIFY',
  'PROG2BIG',
  'KVER',
  'PROGTYPE',
  'WRNGPID',
  'INVSEQ',
  'NLPARSE',
];
LIBBPF_ERRNOS.forEach((name, i) => (ERRNO_NAMES[4000 + i] = `LIBBPF_ERRNO__${name}`));

/** `2` -> `ENOENT` (Linux numbering; ENOTSUPP is kernel-internal but leaks out of bpf(2); 4000+ are libbpf's). */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}
