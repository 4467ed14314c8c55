/**
 * Hooks on a network interface: XDP through a bpf link (BPF_LINK_CREATE with
 * BPF_XDP), TC through a tcx link where the kernel has tcx (6.6+), else a
 * clsact qdisc and a bpf filter (bpf_tc_attach), which is not a link.
 */
import { BpfError, errnoName } from '../errors.js';
import { lastErrno, native } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';
import { attachLink, type Explanation, type Subject } from './attempt.js';
import { TC_KIND, XDP_KIND } from './kinds.js';
import { fdAttachment, type Attachment, type Link } from './link.js';

/** An interface by name (`eth0`) or index. */
export type Interface = string | number;

/** The interface's index; throws NOT_FOUND naming it when this network namespace has no such interface. */
function interfaceIndex(iface: Interface, target: string): number {
  if (typeof iface === 'number') {
    if (!Number.isSafeInteger(iface) || iface < 1)
      throw new BpfError({
        code: 'INVALID',
        op: 'attach',
        target,
        detail: `an interface index is a whole number >= 1 (received ${iface})`,
      });
    // The kernel answers an unknown index with a bare EINVAL for XDP: ask first.
    const name = new NativeBuffer(16);
    const found = native().ifIndexToName(iface, name.address);
    const errno = lastErrno();
    name.free();
    if (found) return iface;
    throw new BpfError({
      code: 'NOT_FOUND',
      op: 'attach',
      target,
      errno: errno || undefined,
      detail: `this network namespace has no interface ifindex ${iface} (ip link lists them)`,
    });
  }
  const index = native().ifNameToIndex(iface);
  if (index > 0) return index;
  throw new BpfError({
    code: 'NOT_FOUND',
    op: 'attach',
    target,
    errno: lastErrno() || undefined,
    detail: `this network namespace has no interface ${iface} (ip link lists them)`,
  });
}

const show = (iface: Interface) => (typeof iface === 'number' ? `ifindex ${iface}` : iface);

function explainInterface(errno: number, iface: Interface): Explanation | undefined {
  if (errnoName(errno) === 'ENODEV')
    return {
      code: 'NOT_FOUND',
      hint: `this network namespace has no interface ${show(iface)} (ip link lists them)`,
    };
  return undefined;
}

export type XdpMode = 'native' | 'generic' | 'offload';

export interface XdpOptions {
  /**
   * `native` (in the driver), `generic` (after the driver, on any
   * interface, slower) or `offload` (on the NIC). Default: native where
   * the driver has it, else generic.
   */
  mode?: XdpMode;
}

/** XDP_FLAGS_* (include/uapi/linux/if_link.h). */
const XDP_FLAGS: Record<XdpMode, number> = { generic: 1 << 1, native: 1 << 2, offload: 1 << 3 };
const BPF_XDP = 37;
/** struct bpf_link_create_opts up to flags: sz, flags (padded). */
const LINK_CREATE_OPTS_SIZE = 16;

export function attachXdp(subject: Subject, iface: Interface, options: XdpOptions = {}): Link {
  const { mode } = options;
  if (mode !== undefined && !(mode in XDP_FLAGS))
    throw new BpfError({
      code: 'INVALID',
      op: 'attach',
      target: `program ${subject.name} to XDP on ${show(iface)}`,
      detail: `unknown XDP mode ${String(mode)}: use 'native', 'generic' or 'offload'`,
    });
  const hook = `XDP on ${show(iface)}${mode ? ` (${mode})` : ''}`;
  const ifindex = interfaceIndex(iface, `program ${subject.name} to ${hook}`);
  return attachLink(
    subject,
    { kind: XDP_KIND, hook, explain: (errno) => explainXdp(errno, iface, mode) },
    ({ prog }) => {
      const opts = new NativeBuffer(LINK_CREATE_OPTS_SIZE);
      try {
        opts.view.setBigUint64(0, BigInt(LINK_CREATE_OPTS_SIZE), true);
        opts.view.setUint32(8, mode ? XDP_FLAGS[mode] : 0, true);
        const fd = native().linkCreate(native().programFd(prog), ifindex, BPF_XDP, opts.address);
        return fd < 0 ? fd : fdAttachment(fd);
      } finally {
        opts.free();
      }
    },
  );
}

function explainXdp(
  errno: number,
  iface: Interface,
  mode: XdpMode | undefined,
): Explanation | undefined {
  const name = errnoName(errno);
  if (name === 'EBUSY' || name === 'EEXIST')
    return {
      code: 'EXISTS',
      hint: `${show(iface)} already has an XDP program (ip link show ${show(iface)}): close the link that holds it, or remove it with ip link set dev ${show(iface)} xdp off`,
    };
  if (['EOPNOTSUPP', 'ENOTSUPP', 'EINVAL'].includes(name) && mode === 'native')
    return {
      code: 'NOT_SUPPORTED',
      hint: `the driver of ${show(iface)} has no native XDP: attach with { mode: 'generic' }`,
    };
  if (['EOPNOTSUPP', 'ENOTSUPP', 'EINVAL'].includes(name) && mode === 'offload')
    return {
      code: 'NOT_SUPPORTED',
      hint: `${show(iface)} cannot run XDP programs on the NIC: attach with { mode: 'native' } or 'generic'`,
    };
  return explainInterface(errno, iface);
}

export type TcDirection = 'ingress' | 'egress';

export interface TcOptions {
  /**
   * `tcx`: a bpf link (kernel 6.6+), pinnable; `clsact`: a filter on a
   * clsact qdisc, which older kernels have too but which is not a link.
   * Default: tcx, or clsact where the kernel has no tcx.
   */
  mode?: 'tcx' | 'clsact';
}

/** BPF_TCX_INGRESS, BPF_TCX_EGRESS (enum bpf_attach_type, 6.6+). */
const TCX: Record<TcDirection, number> = { ingress: 46, egress: 47 };
/** enum bpf_tc_attach_point. */
const TC_POINT: Record<TcDirection, number> = { ingress: 1, egress: 2 };
/** Learned on the first tcx attach the kernel did not know. */
let kernelHasTcx = true;

export function attachTc(
  subject: Subject,
  iface: Interface,
  direction: TcDirection,
  options: TcOptions = {},
): Link {
  const target = `program ${subject.name} to TC ${String(direction)} on ${show(iface)}`;
  if (direction !== 'ingress' && direction !== 'egress')
    throw new BpfError({
      code: 'INVALID',
      op: 'attach',
      target,
      detail: "the direction is 'ingress' or 'egress'",
    });
  if (options.mode !== undefined && options.mode !== 'tcx' && options.mode !== 'clsact')
    throw new BpfError({
      code: 'INVALID',
      op: 'attach',
      target,
      detail: `unknown TC mode ${String(options.mode)}: use 'tcx' or 'clsact'`,
    });
  const ifindex = interfaceIndex(iface, target);
  const tcx = options.mode === 'tcx' || (options.mode === undefined && kernelHasTcx);
  const hook = `TC ${direction} on ${show(iface)} (${tcx ? 'tcx' : 'clsact'})`;
  const explain = (errno: number): Explanation | undefined => {
    if (tcx && options.mode === 'tcx' && errnoName(errno) === 'EINVAL')
      return {
        code: 'NOT_SUPPORTED',
        hint: "this kernel has no tcx links (Linux 6.6+): attach with { mode: 'clsact' }",
      };
    return explainInterface(errno, iface);
  };
  try {
    return attachLink(subject, { kind: TC_KIND, hook, explain }, ({ prog }) => {
      const fd = native().programFd(prog);
      if (!tcx) return clsactFilter(fd, ifindex, direction);
      const link = native().linkCreate(fd, ifindex, TCX[direction], 0);
      return link < 0 ? link : fdAttachment(link);
    });
  } catch (error) {
    // A kernel without tcx does not know the attach type: EINVAL. Use clsact from now on.
    if (!tcx || options.mode === 'tcx' || !(error instanceof BpfError)) throw error;
    if (error.errno === undefined || errnoName(error.errno) !== 'EINVAL') throw error;
    kernelHasTcx = false;
    return attachTc(subject, iface, direction, options);
  }
}

/** sizeof(struct bpf_tc_hook) and sizeof(struct bpf_tc_opts) in libbpf 1.1. */
const TC_HOOK_SIZE = 24;
const TC_OPTS_SIZE = 32;

/** struct bpf_tc_hook for the interface's ingress or egress (the caller frees it). */
function tcHook(ifindex: number, direction: TcDirection): NativeBuffer {
  const hook = new NativeBuffer(TC_HOOK_SIZE);
  hook.view.setBigUint64(0, BigInt(TC_HOOK_SIZE), true);
  hook.view.setInt32(8, ifindex, true);
  hook.view.setUint32(12, TC_POINT[direction], true);
  return hook;
}

/** A bpf filter on the interface's clsact qdisc (made when missing; left in place after, as libbpf advises). */
function clsactFilter(
  progFd: number,
  ifindex: number,
  direction: TcDirection,
): Attachment | number {
  const hook = tcHook(ifindex, direction);
  const opts = new NativeBuffer(TC_OPTS_SIZE);
  try {
    const created = native().tcHookCreate(hook.address);
    if (created < 0 && errnoName(-created) !== 'EEXIST') return created;
    opts.view.setBigUint64(0, BigInt(TC_OPTS_SIZE), true);
    opts.view.setInt32(8, progFd, true);
    const ret = native().tcAttach(hook.address, opts.address);
    if (ret < 0) return ret;
    const handle = opts.view.getUint32(20, true);
    const priority = opts.view.getUint32(24, true);
    return {
      fd: undefined,
      notPinnable:
        "a TC filter on a clsact qdisc is not a bpf link and cannot be pinned (it stays until closed or the interface goes away); on kernels with tcx (6.6+), attach with { mode: 'tcx' } to get a link you can pin",
      destroy: () => detachFilter(ifindex, direction, handle, priority),
    };
  } finally {
    hook.free();
    opts.free();
  }
}

function detachFilter(ifindex: number, direction: TcDirection, handle: number, priority: number) {
  const hook = tcHook(ifindex, direction);
  const opts = new NativeBuffer(TC_OPTS_SIZE);
  try {
    opts.view.setBigUint64(0, BigInt(TC_OPTS_SIZE), true);
    opts.view.setUint32(20, handle, true);
    opts.view.setUint32(24, priority, true);
    // The interface may be gone, and its filters with it: nothing left to detach.
    native().tcDetach(hook.address, opts.address);
  } finally {
    hook.free();
    opts.free();
  }
}
