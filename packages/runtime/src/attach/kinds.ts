/**
 * The facts of each kind of hook: which program types attach to it, which
 * method does it, what the section of such a program looks like, and which
 * capability (besides CAP_BPF) attaching needs. A program of another type
 * is refused before any syscall: the kernel would say only EINVAL.
 */
import type { Capability } from '../capabilities.js';

export interface AttachKind {
  /** The hook, as messages name it: `a tracepoint`. */
  readonly hook: string;
  /** The Program method that attaches to it, as the fix names it. */
  readonly method: string;
  /** The BPF_PROG_TYPE_* values that attach to it. */
  readonly programTypes: readonly number[];
  /** How such a program is declared in C. */
  readonly sections: string;
  /** What attaching needs besides CAP_BPF (perf events, or network admin). */
  readonly capability: Capability;
  /** libbpf finds the hook from the section alone (so `attach()` works with a full section name). */
  readonly bySection: boolean;
}

// enum bpf_prog_type (include/uapi/linux/bpf.h).
const KPROBE = 2;
const SCHED_CLS = 3;
const TRACEPOINT = 5;
const XDP = 6;
const CGROUP_SKB = 8;
const CGROUP_SOCK = 9;
const SOCK_OPS = 13;
const CGROUP_DEVICE = 15;
const RAW_TRACEPOINT = 17;
const CGROUP_SOCK_ADDR = 18;
const CGROUP_SYSCTL = 23;
const RAW_TRACEPOINT_WRITABLE = 24;
const CGROUP_SOCKOPT = 25;
const TRACING = 26;

export const TRACEPOINT_KIND: AttachKind = {
  hook: 'a tracepoint',
  method: 'attachTracepoint(category, name)',
  programTypes: [TRACEPOINT],
  sections: 'SEC("tp/<category>/<name>")',
  capability: 'CAP_PERFMON',
  bySection: true,
};

export const RAW_TRACEPOINT_KIND: AttachKind = {
  hook: 'a raw tracepoint',
  method: 'attachRawTracepoint(name)',
  programTypes: [RAW_TRACEPOINT, RAW_TRACEPOINT_WRITABLE],
  sections: 'SEC("raw_tp/<name>")',
  capability: 'CAP_PERFMON',
  bySection: true,
};

export const TRACE_KIND: AttachKind = {
  hook: 'a BTF tracepoint or kernel function (fentry/fexit)',
  method: 'attachTrace()',
  programTypes: [TRACING],
  sections: 'SEC("tp_btf/<name>"), SEC("fentry/<function>") or SEC("fexit/<function>")',
  capability: 'CAP_PERFMON',
  bySection: true,
};

export const KPROBE_KIND: AttachKind = {
  hook: 'a kprobe',
  method: 'attachKprobe(function, { retprobe })',
  programTypes: [KPROBE],
  sections: 'SEC("kprobe/<function>") or SEC("kretprobe/<function>")',
  capability: 'CAP_PERFMON',
  bySection: true,
};

export const UPROBE_KIND: AttachKind = {
  hook: 'a uprobe',
  method: 'attachUprobe(binary, { function, offset, pid, retprobe })',
  programTypes: [KPROBE],
  sections: 'SEC("uprobe") or SEC("uretprobe")',
  capability: 'CAP_PERFMON',
  bySection: true,
};

export const XDP_KIND: AttachKind = {
  hook: 'XDP on an interface',
  method: 'attachXdp(interface, { mode })',
  programTypes: [XDP],
  sections: 'SEC("xdp")',
  capability: 'CAP_NET_ADMIN',
  bySection: false,
};

export const TC_KIND: AttachKind = {
  hook: 'TC on an interface',
  method: "attachTc(interface, 'ingress' | 'egress')",
  programTypes: [SCHED_CLS],
  sections: 'SEC("tc")',
  capability: 'CAP_NET_ADMIN',
  bySection: false,
};

export const CGROUP_KIND: AttachKind = {
  hook: 'a cgroup',
  method: 'attachCgroup(path)',
  programTypes: [
    CGROUP_SKB,
    CGROUP_SOCK,
    SOCK_OPS,
    CGROUP_DEVICE,
    CGROUP_SOCK_ADDR,
    CGROUP_SYSCTL,
    CGROUP_SOCKOPT,
  ],
  sections: 'SEC("cgroup_skb/ingress"), SEC("cgroup/sock_create"), SEC("sockops"), ...',
  capability: 'CAP_NET_ADMIN',
  bySection: false,
};

const KINDS = [
  TRACEPOINT_KIND,
  RAW_TRACEPOINT_KIND,
  TRACE_KIND,
  KPROBE_KIND,
  XDP_KIND,
  TC_KIND,
  CGROUP_KIND,
];

/** The kind of hook a program of `type`, declared in `section`, attaches to; undefined for types bpfmaps has no method for. */
export function kindOf(type: number, section: string): AttachKind | undefined {
  // Kprobes and uprobes share a program type: the section tells them apart.
  if (type === KPROBE && /^u(ret)?probe/.test(section)) return UPROBE_KIND;
  return KINDS.find((k) => k.programTypes.includes(type));
}

/**
 * A program type bpfmaps has no method for, which libbpf may still attach
 * by its section (iterators, LSM, struct_ops): only `attach()` reaches it.
 */
export function otherKind(type: number, section: string): AttachKind {
  return {
    hook: `the hook of section ${section}`,
    method: 'attach()',
    programTypes: [type],
    sections: `SEC("${section}")`,
    capability: 'CAP_SYS_ADMIN',
    bySection: true,
  };
}
