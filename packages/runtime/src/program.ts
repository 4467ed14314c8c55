import { fromErrno } from './errors.js';
import { bpf, lastErrno, TestRunOpts } from './libbpf.js';
import koffi from 'koffi';

export interface TestRunInput {
  /** Packet or input data (for XDP and TC: the frame, starting at the Ethernet header). */
  data?: Uint8Array;
  /** Run the program this many times in the kernel (BPF_PROG_TEST_RUN repeat). */
  repeat?: number;
  /** Room for the data the program leaves behind; defaults to the input size. */
  dataOutSize?: number;
}

export interface TestRunResult {
  /** The program's return value (XDP: 1 = XDP_DROP, 2 = XDP_PASS, ...). */
  retval: number;
  /** Average run time per repetition, in nanoseconds, as the kernel measured it. */
  duration: number;
  /** The data after the program ran (it may rewrite or resize the packet). */
  data: Uint8Array;
}

const TEST_RUN_OPTS_SIZE = koffi.sizeof(TestRunOpts);

/** A loaded BPF program, valid while its object is open. */
export class Program {
  constructor(
    readonly name: string,
    readonly fd: number,
    private readonly ptr: unknown,
  ) {}

  /**
   * Attaches the program to tracepoint `category:name` (see
   * /sys/kernel/tracing/events). Needs tracefs; returns the link to close.
   */
  attachTracepoint(category: string, name: string): Link {
    const link = bpf.attachTracepoint(this.ptr, category, name);
    if (!link) {
      throw fromErrno(-lastErrno(), 'attach', `program ${this.name} to tracepoint ${category}:${name}`, undefined, 'is tracefs mounted (mount -t tracefs nodev /sys/kernel/tracing) and the tracepoint present?');
    }
    return new Link(link, `${this.name} -> tracepoint ${category}:${name}`);
  }

  /** Runs the program in the kernel on `data` with BPF_PROG_TEST_RUN. */
  testRun(input: TestRunInput = {}): TestRunResult {
    const data = input.data ?? new Uint8Array(0);
    const out = new Uint8Array(Math.max(input.dataOutSize ?? data.length, 1));
    const opts = {
      sz: TEST_RUN_OPTS_SIZE,
      data_in: data.length > 0 ? data : null,
      data_out: out,
      data_size_in: data.length,
      data_size_out: out.length,
      ctx_in: null,
      ctx_out: null,
      ctx_size_in: 0,
      ctx_size_out: 0,
      retval: 0,
      repeat: input.repeat ?? 1,
      duration: 0,
      flags: 0,
      cpu: 0,
      batch_size: 0,
    };
    const ret = bpf.progTestRun(this.fd, opts);
    if (ret < 0) throw fromErrno(ret, 'test run', `program ${this.name}`);
    return { retval: opts.retval, duration: opts.duration, data: out.subarray(0, opts.data_size_out) };
  }
}

/** An attachment of a program to a hook; detached by close() (or `using`). */
export class Link implements Disposable {
  #ptr: unknown;

  constructor(
    ptr: unknown,
    readonly description: string,
  ) {
    this.#ptr = ptr;
  }

  close(): void {
    if (!this.#ptr) return;
    bpf.linkDestroy(this.#ptr);
    this.#ptr = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
