import type { Subject } from './attach/attempt.js';
import { attachCgroup } from './attach/cgroup.js';
import type { Link, LinkOwner } from './attach/link.js';
import {
  attachTc,
  attachXdp,
  type Interface,
  type TcDirection,
  type TcOptions,
  type XdpOptions,
} from './attach/net.js';
import {
  attachBySection,
  attachKprobe,
  attachRawTracepoint,
  attachTrace,
  attachTracepoint,
  attachUprobe,
  type KprobeOptions,
  type UprobeOptions,
} from './attach/tracing.js';
import { BpfError, errnoError } from './errors.js';
import { native, type Pointer } from './ffi/libbpf.js';
import { NativeBuffer } from './ffi/native-buffer.js';

export interface TestRunInput {
  /** Packet or input data (for XDP and TC: the frame, starting at the Ethernet header). */
  data?: Uint8Array;
  /** The program's context (for syscall and raw tracepoint programs: the argument struct). */
  ctx?: Uint8Array;
  /** Run the program this many times in the kernel (BPF_PROG_TEST_RUN repeat). */
  repeat?: number;
  /** Room for the data the program leaves behind; defaults to the input size. */
  dataOutSize?: number;
  /** Run on this CPU (raw tracepoint programs only: BPF_F_TEST_RUN_ON_CPU). */
  cpu?: number;
}

export interface TestRunResult {
  /** The program's return value (XDP: 1 = XDP_DROP, 2 = XDP_PASS, ...). */
  retval: number;
  /** Average run time per repetition, in nanoseconds, as the kernel measured it. */
  duration: number;
  /** The data after the program ran (it may rewrite or resize the packet). */
  data: Uint8Array;
  /** The context after the program ran, when one was given. */
  ctx: Uint8Array | undefined;
}

/** sizeof(struct bpf_test_run_opts) in libbpf 1.1; the offsets below follow its fields. */
const TEST_RUN_OPTS_SIZE = 80;
const BPF_F_TEST_RUN_ON_CPU = 1;
/** BPF_PROG_TYPE_RAW_TRACEPOINT and BPF_PROG_TYPE_SYSCALL (which writes its context back in place). */
const CTX_IN_ONLY = new Set([17, 31]);

/** How a program is reached: its libbpf handle (for attach) and its fd, while its object is open. */
export interface ProgramHandle {
  /** The fd, for `op`; throws BpfError CLOSED once the program's object is closed. */
  fd(op: string): number;
  /** libbpf's `struct bpf_program`, for `op`; throws CLOSED, or NOT_SUPPORTED for a program known only by fd. */
  libbpf(op: string): Pointer;
  /** Registers a link with the program's object, which closes it on close(). */
  track?: LinkOwner;
}

/** A loaded BPF program, valid while its object is open. */
export class Program {
  constructor(
    readonly name: string,
    private readonly handle: ProgramHandle,
  ) {}

  /**
   * A program known only by its fd (in a worker thread, say): it can be run
   * with testRun and stored in program arrays, not attached. The fd stays
   * owned by whoever loaded the program.
   */
  static fromFd(name: string, fd: number): Program {
    return new Program(name, {
      fd: () => fd,
      libbpf: (op) => {
        throw new BpfError({
          code: 'NOT_SUPPORTED',
          op,
          target: `program ${name}`,
          detail: 'a program known only by fd cannot be attached; use the Program of its BpfObject',
        });
      },
    });
  }

  /** The program's fd (owned by its object); throws BpfError CLOSED once the object is closed. */
  get fd(): number {
    return this.handle.fd('use');
  }

  /** What the attach functions need of this program. */
  get #subject(): Subject {
    const { handle } = this;
    return {
      name: this.name,
      libbpf: (op) => handle.libbpf(op),
      fd: (op) => handle.fd(op),
      track: handle.track,
    };
  }

  /**
   * Attaches by the program's section, as a libbpf skeleton does:
   * `tp/<category>/<name>`, `raw_tp/<name>`, `tp_btf/<name>`,
   * `fentry/<function>`, `kprobe/<function>`, `uprobe/<binary>:<function>`.
   * Throws INVALID for programs whose hook is chosen at run time (xdp, tc,
   * cgroup, a section without a hook), naming the method to use; otherwise
   * the errors of that method.
   */
  attach(): Link {
    return attachBySection(this.#subject);
  }

  /**
   * Attaches to tracepoint `category:name` (/sys/kernel/tracing/events).
   * Throws NOT_FOUND (no such tracepoint, or tracefs not mounted, which
   * libbpf finds it through), INVALID (not a tracepoint program), PERMISSION
   * (naming the capability), CLOSED.
   */
  attachTracepoint(category: string, name: string): Link {
    return attachTracepoint(this.#subject, category, name);
  }

  /** Attaches to raw tracepoint `name` (`sys_enter`, no category). Throws NOT_FOUND, INVALID, PERMISSION, CLOSED. */
  attachRawTracepoint(name: string): Link {
    return attachRawTracepoint(this.#subject, name);
  }

  /**
   * Attaches a BTF tracepoint, fentry or fexit program to the target its
   * section named (`tp_btf/sched_process_exec`, `fentry/do_unlinkat`).
   * Throws NOT_SUPPORTED where the kernel refuses fentry/fexit, INVALID, CLOSED.
   */
  attachTrace(): Link {
    return attachTrace(this.#subject);
  }

  /**
   * Attaches to kernel function `fn` as a kprobe (or kretprobe with
   * `retprobe`). Throws NOT_SUPPORTED on a kernel without kprobes, NOT_FOUND
   * (no such function), INVALID (not a kprobe program), PERMISSION, CLOSED.
   */
  attachKprobe(fn: string, options: KprobeOptions = {}): Link {
    return attachKprobe(this.#subject, fn, options);
  }

  /**
   * Attaches to a function of a user-space binary or library (by path, or a
   * library name libbpf finds): `{ function }` by symbol, `offset` into it
   * or into the file, `pid` for one process only, `retprobe` on return.
   * Throws NOT_FOUND (no such file, function or process), INVALID, CLOSED.
   */
  attachUprobe(binary: string, options: UprobeOptions = {}): Link {
    return attachUprobe(this.#subject, binary, options);
  }

  /**
   * Attaches an XDP program to the interface (name or index) through a bpf
   * link, in `mode` native, generic or offload (default: native where the
   * driver has it). Throws NOT_FOUND (no such interface), EXISTS (it has an
   * XDP program), NOT_SUPPORTED (the mode), INVALID, PERMISSION, CLOSED.
   */
  attachXdp(iface: Interface, options: XdpOptions = {}): Link {
    return attachXdp(this.#subject, iface, options);
  }

  /**
   * Attaches a TC program (SEC("tc")) to the interface's ingress or egress:
   * a tcx link on kernels 6.6+, else a filter on a clsact qdisc (which
   * cannot be pinned). Throws NOT_FOUND (no such interface), INVALID,
   * NOT_SUPPORTED, PERMISSION, CLOSED.
   */
  attachTc(iface: Interface, direction: TcDirection, options: TcOptions = {}): Link {
    return attachTc(this.#subject, iface, direction, options);
  }

  /**
   * Attaches a cgroup program to the cgroup v2 directory at `path`, at the
   * attach type of its section (`cgroup_skb/egress`, `cgroup/sock_create`).
   * Throws NOT_FOUND (no such directory), INVALID (not cgroup v2, not a
   * cgroup program), PERMISSION, CLOSED.
   */
  attachCgroup(path: string): Link {
    return attachCgroup(this.#subject, path);
  }

  /** Runs the program in the kernel on `data` (and `ctx`) with BPF_PROG_TEST_RUN. */
  /** The program's BPF_PROG_TYPE_*, from the kernel (the first field of bpf_prog_info). */
  #type(): number {
    const memory = new NativeBuffer(8);
    try {
      memory.view.setUint32(4, 4, true);
      const ret = native().objGetInfo(this.fd, memory.address, memory.address + 4);
      if (ret < 0) throw errnoError(ret, 'info', 'read the type of', `program ${this.name}`);
      return memory.view.getUint32(0, true);
    } finally {
      memory.free();
    }
  }

  testRun(input: TestRunInput = {}): TestRunResult {
    const fd = this.fd;
    const data = input.data ?? new Uint8Array(0);
    const ctx = input.ctx;
    // Room for data out only when there is data: raw tracepoints refuse any.
    const outSize = input.dataOutSize ?? data.length;
    const ctxSize = ctx?.length ?? 0;
    // Options, then data in, data out, context in, context out: one block of C memory.
    const memory = new NativeBuffer(TEST_RUN_OPTS_SIZE + data.length + outSize + 2 * ctxSize);
    try {
      const at = {
        dataIn: TEST_RUN_OPTS_SIZE,
        dataOut: TEST_RUN_OPTS_SIZE + data.length,
        ctxIn: TEST_RUN_OPTS_SIZE + data.length + outSize,
      };
      const ctxOut = at.ctxIn + ctxSize;
      memory.bytes.set(data, at.dataIn);
      if (ctx) memory.bytes.set(ctx, at.ctxIn);
      const v = memory.view;
      const address = (offset: number) => BigInt(memory.address + offset);
      v.setBigUint64(0, BigInt(TEST_RUN_OPTS_SIZE), true);
      v.setBigUint64(8, data.length ? address(at.dataIn) : 0n, true);
      v.setBigUint64(16, outSize ? address(at.dataOut) : 0n, true);
      v.setUint32(24, data.length, true);
      v.setUint32(28, outSize, true);
      // Raw tracepoint and syscall programs take a context in but none out.
      const ctxBack = ctx !== undefined && !CTX_IN_ONLY.has(this.#type());
      v.setBigUint64(32, ctx ? address(at.ctxIn) : 0n, true);
      v.setBigUint64(40, ctxBack ? address(ctxOut) : 0n, true);
      v.setUint32(48, ctxSize, true);
      v.setUint32(52, ctxBack ? ctxSize : 0, true);
      if (input.repeat !== undefined) v.setInt32(60, input.repeat, true);
      if (input.cpu !== undefined) {
        v.setUint32(68, BPF_F_TEST_RUN_ON_CPU, true);
        v.setUint32(72, input.cpu, true);
      }
      const ret = native().progTestRun(fd, memory.address);
      if (ret < 0) throw errnoError(ret, 'test-run', 'test run', `program ${this.name}`);
      const dataOut = v.getUint32(28, true);
      return {
        retval: v.getUint32(56, true),
        duration: v.getUint32(64, true),
        data: memory.bytes.slice(at.dataOut, at.dataOut + Math.min(dataOut, outSize)),
        ctx: ctx
          ? memory.bytes.slice(ctxBack ? ctxOut : at.ctxIn, (ctxBack ? ctxOut : at.ctxIn) + ctxSize)
          : undefined,
      };
    } finally {
      memory.free();
    }
  }
}
