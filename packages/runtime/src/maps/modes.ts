import { BpfError } from '../errors.js';

/** How `set` treats an existing key (BPF_ANY, BPF_NOEXIST, BPF_EXIST; BPF_F_LOCK for spin-locked values). */
export type SetMode = 'any' | 'noexist' | 'exist' | 'lock';

const SET_FLAGS: Record<SetMode, number> = { any: 0, noexist: 1, exist: 2, lock: 4 };

/** BPF_F_LOCK: copy the value under its bpf_spin_lock. */
export const BPF_F_LOCK = SET_FLAGS.lock;

/** The update flags of `mode`; throws BpfError INVALID for anything else. */
export function setFlags(mode: SetMode, op: string, target: string): number {
  const flags =
    typeof mode === 'string' && Object.hasOwn(SET_FLAGS, mode) ? SET_FLAGS[mode] : undefined;
  if (flags === undefined) {
    throw new BpfError({
      code: 'INVALID',
      op,
      target,
      detail: `mode must be 'any', 'noexist', 'exist' or 'lock', received ${JSON.stringify(mode)}`,
    });
  }
  return flags;
}
