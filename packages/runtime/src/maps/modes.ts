import { BpfError } from '../errors.js';
import type { RawMap } from './raw-map.js';

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

/**
 * Refuses BPF_F_LOCK before any syscall where the kernel would answer with a
 * bare EINVAL: the spec says the value holds no bpf_spin_lock, or the map
 * has no BTF for its value, so the kernel cannot know where the lock is.
 * `how` is how the caller asked for it (mode 'lock', { lock: true }),
 * `instead` what to do without it. A spec that does not say (a hand-written
 * one) leaves the first question to the kernel.
 */
export function checkLock(raw: RawMap, op: string, how: string, instead: string): void {
  if (raw.spec.spinLock === false) {
    throw new BpfError({
      code: 'INVALID',
      op,
      target: raw.name,
      detail: `the value has no spinLock for ${how} (BPF_F_LOCK) to take; add a spinLock field to the value struct (struct('Value', { lock: spinLock, ... })), regenerate, and take the lock in the BPF program too, or ${instead}`,
    });
  }
  if (raw.info.btfValueTypeId === 0) {
    throw new BpfError({
      code: 'INVALID',
      op,
      target: raw.name,
      detail: `the map carries no BTF for its value, so the kernel cannot find the spinLock for ${how} (BPF_F_LOCK) to take (a BPF object needs clang -g; a spec without valueType creates a map without BTF); use ${how} on a map with BTF, or ${instead}`,
    });
  }
}
