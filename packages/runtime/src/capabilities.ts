/**
 * Which capabilities loading an object needs, and which of them this process
 * lacks, so a refused load can name them. The kernel answers only EPERM,
 * and libbpf's log around it talks of RLIMIT_MEMLOCK. The rules are the
 * kernel's (kernel/bpf/syscall.c): CAP_BPF for any map or program, plus
 * CAP_NET_ADMIN or CAP_PERFMON by program type; CAP_SYS_ADMIN stands in for
 * each of them.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';

export type Capability = 'CAP_NET_ADMIN' | 'CAP_SYS_ADMIN' | 'CAP_PERFMON' | 'CAP_BPF';

/** Bit numbers (linux/capability.h). */
const BITS: Record<Capability, number> = {
  CAP_NET_ADMIN: 12,
  CAP_SYS_ADMIN: 21,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
};

/** enum bpf_prog_type values the kernel loads only with CAP_NET_ADMIN (is_net_admin_prog_type). */
const NET_ADMIN = new Set([3, 4, 6, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 23, 25, 28, 32]);
/** ... and only with CAP_PERFMON (is_perfmon_prog_type). */
const PERFMON = new Set([2, 5, 7, 17, 24, 26, 27, 28, 29]);

/** A program of the object: its name, type (enum bpf_prog_type) and the type's name. */
export interface ProgramKind {
  name: string;
  type: number;
  typeName: string;
  /** Its ELF section (`fentry/do_unlinkat`): which kind of tracing program it is. */
  section?: string;
}

/** The effective capabilities of this process (CapEff in /proc/self/status), or undefined if unreadable. */
export function effectiveCapabilities(): Set<Capability> | undefined {
  try {
    const line = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (!line) return undefined;
    const mask = BigInt(`0x${line[1]}`);
    const caps = Object.keys(BITS) as Capability[];
    return new Set(caps.filter((c) => (mask >> BigInt(BITS[c])) & 1n));
  } catch {
    return undefined;
  }
}

/**
 * Why the kernel refused (EPERM) to load an object with these programs: the
 * capabilities this process lacks and what needs each, or what else it can
 * be when none is missing. Undefined when this process's capabilities
 * cannot be read.
 */
export function loadDenial(
  programs: readonly ProgramKind[],
  have = effectiveCapabilities(),
  refused?: string,
): string | undefined {
  if (!have) return undefined;
  const needs = new Map<Capability, string>([
    ['CAP_BPF', 'CAP_BPF to create maps and load programs'],
  ]);
  const add = (cap: Capability, types: Set<number>) => {
    const which = programs.filter((p) => types.has(p.type));
    if (which.length > 0)
      needs.set(
        cap,
        `${cap} for its ${which.map((p) => `${p.typeName} program ${p.name}`).join(', ')}`,
      );
  };
  add('CAP_NET_ADMIN', NET_ADMIN);
  add('CAP_PERFMON', PERFMON);
  const missing = have.has('CAP_SYS_ADMIN') ? [] : [...needs.keys()].filter((c) => !have.has(c));
  const trampoline = programs.find(
    (p) => p.name === refused && /^f(entry|exit|mod_ret)/.test(p.section ?? ''),
  );
  if (missing.length === 0 && trampoline) {
    return `this process has the capabilities loading this object needs (${[...needs.keys()].join(', ')}), and this kernel still refuses ${trampoline.section?.split('/')[0]} program ${trampoline.name}: it does not allow fentry/fexit (BPF trampolines) here; attach a kprobe, a raw tracepoint or a BTF tracepoint (tp_btf) instead`;
  }
  if (missing.length === 0) {
    return `this process has the capabilities loading this object needs (${[...needs.keys()].join(', ')}), so something else refused it: a security module or kernel lockdown${memlockMatters() ? ', or the locked-memory limit (raise ulimit -l)' : ''}`;
  }
  const them = missing.length > 1 ? 'them' : 'it';
  return `this process lacks ${and(missing)}: loading this object needs ${missing.map((c) => needs.get(c)).join(', and ')}; run as root, or grant ${them} (CAP_SYS_ADMIN alone also covers ${them})`;
}

/** Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK, and refuse with EPERM past it. */
export function memlockMatters(kernel = release()): boolean {
  const [major = 0, minor = 0] = kernel.split(/[.-]/).map(Number);
  return major < 5 || (major === 5 && minor < 11);
}

function and(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * Why the kernel refused (EPERM, EACCES) to attach to `hook`: attaching needs
 * CAP_BPF and `capability` (CAP_PERFMON for perf events and tracing,
 * CAP_NET_ADMIN for interfaces and cgroups). Names what this process lacks,
 * or says something else refused it when it lacks nothing.
 */
export function attachDenial(
  hook: string,
  capability: Capability,
  have = effectiveCapabilities(),
): string {
  const needs: Capability[] = ['CAP_BPF', capability];
  const needed = `attaching to ${hook} needs ${and(needs)}`;
  if (!have) return `${needed}; run as root`;
  const missing = have.has('CAP_SYS_ADMIN') ? [] : needs.filter((c) => !have.has(c));
  if (missing.length === 0)
    return `${needed}, which this process has, so something else refused it: a security module, kernel lockdown or the hook's own policy`;
  return `this process lacks ${and(missing)}: ${needed}; run as root, or grant ${missing.length > 1 ? 'them' : 'it'} (CAP_SYS_ADMIN also covers ${missing.length > 1 ? 'them' : 'it'})`;
}
