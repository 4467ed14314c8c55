import { BpfError } from './errors.js';
import { native } from './ffi/libbpf.js';

let cpus: number | undefined;

/** The number of possible CPUs: per-CPU maps hold one value for each (libbpf_num_possible_cpus). */
export function possibleCpus(): number {
  if (cpus === undefined) {
    const n = native().numPossibleCpus();
    if (n <= 0)
      throw new BpfError({
        code: 'SYSTEM',
        op: 'count CPUs',
        target: '/sys/devices/system/cpu/possible',
        errno: -n,
      });
    cpus = n;
  }
  return cpus;
}
