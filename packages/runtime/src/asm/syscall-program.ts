/**
 * Programs the runtime writes for itself and runs from user space:
 * BPF_PROG_TYPE_SYSCALL (kernel 5.14+), sleepable, run by BPF_PROG_TEST_RUN
 * with a context of our own. One such run can do many map operations: the
 * in-kernel batch operations are built on it (maps/kernel-batch.ts).
 */
import { BpfError, errnoError } from '../errors.js';
import { native } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';
import { OwnedFd } from '../fd.js';

const BPF_PROG_TYPE_SYSCALL = 31;
const BPF_F_SLEEPABLE = 1 << 4;
/** sizeof(struct bpf_prog_load_opts) up to log_buf, as libbpf 1.0+ knows it. */
const LOAD_OPTS_SIZE = 104;
/** sizeof(struct bpf_test_run_opts) up to cpu (batch_size is for XDP). */
const TEST_RUN_OPTS_SIZE = 76;
const LOG_SIZE = 1 << 20;

/** A loaded syscall program and the memory each run hands it: `ctx` is its context, in and out. */
const EACCES = 13;
const EINVAL = 22;

export class SyscallProgram implements Disposable {
  readonly #fd: OwnedFd;
  readonly #opts: NativeBuffer;
  /** The program's context: what it reads its arguments from (and may write results to). */
  readonly ctx: NativeBuffer;

  private constructor(
    fd: number,
    readonly name: string,
    ctxSize: number,
  ) {
    this.#fd = new OwnedFd(fd, `program ${name}`);
    this.ctx = new NativeBuffer(ctxSize);
    this.#opts = new NativeBuffer(TEST_RUN_OPTS_SIZE);
    const v = this.#opts.view;
    v.setBigUint64(0, BigInt(TEST_RUN_OPTS_SIZE), true);
    v.setBigUint64(32, BigInt(this.ctx.address), true); // ctx_in
    v.setUint32(48, ctxSize, true); // ctx_size_in
  }

  /**
   * Loads `insns` (an Assembler's bytes) as a sleepable syscall program with
   * a context of `ctxSize` bytes. `target` names what it serves in errors.
   * Throws BpfError VERIFIER with the verifier's log when it is refused, or
   * the errno's error (NOT_SUPPORTED where the kernel has no syscall programs).
   */
  static load(name: string, insns: Uint8Array, ctxSize: number, target: string): SyscallProgram {
    const lib = native();
    const code = new NativeBuffer(insns.length);
    const opts = new NativeBuffer(LOAD_OPTS_SIZE);
    try {
      code.bytes.set(insns);
      opts.view.setBigUint64(0, BigInt(LOAD_OPTS_SIZE), true);
      opts.view.setUint32(20, BPF_F_SLEEPABLE, true); // prog_flags
      const load = () =>
        lib.progLoad(
          BPF_PROG_TYPE_SYSCALL,
          name,
          'Dual MIT/GPL',
          code.address,
          insns.length / 8,
          opts.address,
        );
      let fd = load();
      // Only the verifier's refusals (EACCES, EINVAL; ENOSPC when its log overflows) have a log to show.
      if (fd < 0 && fd !== -EACCES && fd !== -EINVAL)
        throw errnoError(fd, 'load', 'load', `program ${name} for ${target}`);
      if (fd < 0) {
        // Again with the verifier's log, to say why.
        const log = new NativeBuffer(LOG_SIZE);
        try {
          opts.view.setUint32(88, 1, true); // log_level
          opts.view.setUint32(92, LOG_SIZE, true);
          opts.view.setBigUint64(96, BigInt(log.address), true);
          fd = load();
          if (fd < 0) {
            const text = Buffer.from(log.bytes)
              .toString('utf8')
              .replace(/\0[\s\S]*$/, '');
            if (text.trim())
              throw new BpfError({
                code: 'VERIFIER',
                op: 'load',
                target: `program ${name} for ${target}`,
                errno: -fd,
                detail:
                  'the verifier refused a program bpfmaps wrote (a bug: please report it with this log)',
                log: text,
              });
            throw errnoError(fd, 'load', 'load', `program ${name} for ${target}`);
          }
        } finally {
          log.free();
        }
      }
      return new SyscallProgram(fd, name, ctxSize);
    } finally {
      code.free();
      opts.free();
    }
  }

  /** Runs the program once (one bpf(2) call); returns its return value. Throws BpfError naming `target`. */
  run(target: string): number {
    const ret = native().progTestRun(this.#fd.use('run'), this.#opts.address);
    if (ret < 0) throw errnoError(ret, 'test-run', 'run', `program ${this.name} for ${target}`);
    return this.#opts.view.getUint32(56, true);
  }

  close(): void {
    if (this.#fd.closed) return;
    this.#fd.close();
    this.ctx.free();
    this.#opts.free();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
