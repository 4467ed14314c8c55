import { errnoName } from './libbpf.js';

/** What kind of failure: stable across kernels, for code to branch on. */
export type BpfErrorCode =
  | 'KEY_NOT_FOUND'
  | 'KEY_EXISTS'
  | 'MAP_FULL'
  | 'PERMISSION'
  | 'INCOMPATIBLE'
  | 'NOT_SUPPORTED'
  | 'INVALID'
  | 'NOT_FOUND'
  | 'SYSTEM';

const CODES: Record<string, BpfErrorCode> = {
  ENOENT: 'KEY_NOT_FOUND',
  EEXIST: 'KEY_EXISTS',
  E2BIG: 'MAP_FULL',
  ENOSPC: 'MAP_FULL',
  EPERM: 'PERMISSION',
  EACCES: 'PERMISSION',
  EOPNOTSUPP: 'NOT_SUPPORTED',
  ENOTSUPP: 'NOT_SUPPORTED',
  EINVAL: 'INVALID',
};

const HINTS: Partial<Record<BpfErrorCode, string>> = {
  PERMISSION: 'bpf(2) needs CAP_BPF (or CAP_SYS_ADMIN on kernels before 5.8); run as root or grant the capability',
  MAP_FULL: 'the map holds max_entries elements; delete some or declare a larger maxEntries',
};

export interface BpfErrorDetails {
  code: BpfErrorCode;
  /** The operation that failed: `get`, `set`, `delete`, `open object`, ... */
  op: string;
  /** The map (or object, or program) the operation was on. */
  target: string;
  /** Positive errno, when the kernel or libbpf returned one. */
  errno?: number;
  /** The decoded key, when the operation had one. */
  key?: unknown;
  detail?: string;
}

/**
 * BpfError is the one error class of the runtime. Its message names the
 * operation, the map and the errno (`set flows: E2BIG (map full) ...`).
 */
export class BpfError extends Error {
  override readonly name = 'BpfError';
  readonly code: BpfErrorCode;
  readonly op: string;
  readonly target: string;
  readonly errno: number | undefined;
  readonly key: unknown;

  constructor(details: BpfErrorDetails) {
    const errno = details.errno === undefined ? '' : `: ${errnoName(details.errno)} (errno ${details.errno})`;
    const key = details.key === undefined ? '' : ` for key ${formatKey(details.key)}`;
    const detail = details.detail ?? HINTS[details.code];
    super(`${details.op} ${details.target}${key}${errno}${detail ? `: ${detail}` : ''}`);
    this.code = details.code;
    this.op = details.op;
    this.target = details.target;
    this.errno = details.errno;
    this.key = details.key;
  }
}

/** Turns a negative errno returned by libbpf into a BpfError. */
export function fromErrno(ret: number, op: string, target: string, key?: unknown, detail?: string): BpfError {
  const errno = -ret;
  const code = CODES[errnoName(errno)] ?? 'SYSTEM';
  return new BpfError({ code, op, target, errno, key, detail });
}

function formatKey(key: unknown): string {
  return JSON.stringify(key, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}
