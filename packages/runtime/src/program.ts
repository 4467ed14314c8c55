import { BpfError, errnoError } from './errors.js';
import { lastErrno, native, type Pointer } from './ffi/libbpf.js';
import { withLibbpfLog } from './ffi/log.js';
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

  /**
   * Attaches the program to tracepoint `category:name` (see
   * /sys/kernel/tracing/events). Needs tracefs; returns the link to close.
   */
  attachTracepoint(category: string, name: string): Link {
    const prog = this.handle.libbpf('attach');
    const target = `program ${this.name} to tracepoint ${category}:${name}`;
    return withLibbpfLog((log) => {
      const link = native().attachTracepoint(prog, category, name);
      if (!link) throw errnoError(lastErrno(), 'attach', 'attach', target, { log: log().text });
      return new Link(link, `${this.name} -> tracepoint ${category}:${name}`);
    });
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

/** An attachment of a program to a hook; detached by close() (or `using`). */
export class Link implements Disposable {
  #ptr: Pointer | null;

  constructor(
    ptr: Pointer,
    readonly description: string,
  ) {
    this.#ptr = ptr;
  }

  get closed(): boolean {
    return this.#ptr === null;
  }

  close(): void {
    if (!this.#ptr) return;
    native().linkDestroy(this.#ptr);
    this.#ptr = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
