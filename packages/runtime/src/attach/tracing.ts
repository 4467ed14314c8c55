/**
 * Tracing hooks: tracepoints (found by name through tracefs), raw and BTF
 * tracepoints, fentry/fexit, kprobes and uprobes, each through libbpf's own
 * attach function, and attach() by section as a skeleton does. libbpf
 * answers most failures with ENOENT or EINVAL; the explain functions look
 * at the machine to say which cause it was.
 */
import { existsSync } from 'node:fs';
import { BpfError, errnoName } from '../errors.js';
import { lastErrno, native, type Pointer } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';
import { attachLink, programFacts, type Explanation, type Subject } from './attempt.js';
import {
  KPROBE_KIND,
  RAW_TRACEPOINT_KIND,
  TRACE_KIND,
  TRACEPOINT_KIND,
  UPROBE_KIND,
  kindOf,
  otherKind,
} from './kinds.js';
import { libbpfAttachment, type Link } from './link.js';
import { kernelHasFunction, probesMissing, tracefsMounted, tracefsRoot } from './probes.js';

/** A libbpf link, or -errno when libbpf returned NULL. */
function linked(ptr: Pointer | null) {
  return ptr ? libbpfAttachment(ptr) : -lastErrno();
}

export function attachTracepoint(subject: Subject, category: string, name: string): Link {
  return attachLink(
    subject,
    {
      kind: TRACEPOINT_KIND,
      hook: `tracepoint ${category}:${name}`,
      explain: () => explainTracepoint(category, name),
    },
    ({ prog }) => linked(native().attachTracepoint(prog, category, name)),
  );
}

/** libbpf reads the tracepoint's id from tracefs: no tracefs, or no such directory, is the cause. */
function explainTracepoint(category: string, name: string): Explanation | undefined {
  if (!tracefsMounted())
    return {
      code: 'NOT_FOUND',
      hint: 'tracefs is not mounted, and tracepoints are found by name through it: mount -t tracefs nodev /sys/kernel/tracing (or call ensureTracefs())',
    };
  const events = `${tracefsRoot()}/events`;
  if (!existsSync(`${events}/${category}`))
    return {
      code: 'NOT_FOUND',
      hint: `this kernel has no tracepoint category ${category} (ls ${events} lists them)`,
    };
  if (!existsSync(`${events}/${category}/${name}`))
    return {
      code: 'NOT_FOUND',
      hint: `this kernel has no tracepoint ${category}:${name} (ls ${events}/${category} lists that category's)`,
    };
  return undefined;
}

export function attachRawTracepoint(subject: Subject, name: string): Link {
  return attachLink(
    subject,
    {
      kind: RAW_TRACEPOINT_KIND,
      hook: `raw tracepoint ${name}`,
      explain: (errno) => explainRawTracepoint(errno, name),
    },
    ({ prog }) => linked(native().attachRawTracepoint(prog, name)),
  );
}

function explainRawTracepoint(errno: number, name: string): Explanation | undefined {
  if (errnoName(errno) !== 'ENOENT') return undefined;
  return {
    code: 'NOT_FOUND',
    hint: `this kernel has no raw tracepoint ${name}: raw tracepoints are named without their category (sys_enter, sched_switch)`,
  };
}

/** BTF tracepoints, fentry and fexit: the target was resolved from the section when the object loaded. */
export function attachTrace(subject: Subject): Link {
  const { section } = programFacts(subject);
  return attachLink(
    subject,
    { kind: TRACE_KIND, hook: section, explain: (errno) => explainTrace(errno, section) },
    ({ prog }) => linked(native().attachTrace(prog)),
  );
}

function explainTrace(errno: number, section: string): Explanation | undefined {
  const name = errnoName(errno);
  const trampoline = /^f(entry|exit|mod_ret)/.test(section);
  if (trampoline && ['EPERM', 'EOPNOTSUPP', 'ENOTSUPP', 'ENOTSUP'].includes(name))
    return {
      code: 'NOT_SUPPORTED',
      hint: 'this kernel refuses fentry/fexit (BPF trampolines) here; attach a kprobe, a raw tracepoint or a BTF tracepoint (tp_btf) instead',
    };
  return undefined;
}

export interface KprobeOptions {
  /** Run when the function returns (a kretprobe) rather than when it is entered. */
  retprobe?: boolean;
}

export function attachKprobe(subject: Subject, fn: string, options: KprobeOptions = {}): Link {
  const retprobe = options.retprobe === true;
  return attachLink(
    subject,
    {
      kind: KPROBE_KIND,
      hook: `${retprobe ? 'kretprobe' : 'kprobe'} ${fn}`,
      explain: (errno) => explainKprobe(errno, fn),
    },
    ({ prog }) => linked(native().attachKprobe(prog, retprobe, fn)),
  );
}

function explainKprobe(errno: number, fn: string): Explanation | undefined {
  const missing = probesMissing('kprobe');
  if (missing) return { code: 'NOT_SUPPORTED', hint: missing };
  if (['ENOENT', 'EINVAL'].includes(errnoName(errno)) && !kernelHasFunction(fn))
    return {
      code: 'NOT_FOUND',
      hint: `this kernel has no function ${fn} (grep -w ${fn} /proc/kallsyms); inlined and static functions may have no symbol to probe`,
    };
  return undefined;
}

export interface UprobeOptions {
  /** The function to probe, by its symbol name (`malloc`, `main`); with `offset`, that far into it. */
  function?: string;
  /** A byte offset: into `function` when given, else into the binary's file. */
  offset?: number;
  /** Only in this process (default: every process that runs the binary). */
  pid?: number;
  /** Run when the function returns (a uretprobe). */
  retprobe?: boolean;
}

/** sizeof(struct bpf_uprobe_opts) in libbpf 1.1: sz, ref_ctr_offset, bpf_cookie, retprobe, func_name. */
const UPROBE_OPTS_SIZE = 40;

export function attachUprobe(subject: Subject, binary: string, options: UprobeOptions = {}): Link {
  const { function: fn, offset = 0, pid = -1, retprobe = false } = options;
  const where = fn === undefined ? `offset ${offset}` : offset ? `${fn}+${offset}` : fn;
  const hook = `${retprobe ? 'uretprobe' : 'uprobe'} ${binary}:${where}`;
  if (fn === undefined && options.offset === undefined)
    throw new BpfError({
      code: 'INVALID',
      op: 'attach',
      target: `program ${subject.name} to ${hook}`,
      detail: "name the function to probe ({ function: 'main' }) or an offset into the file",
    });
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(pid) || pid < -1)
    throw new BpfError({
      code: 'INVALID',
      op: 'attach',
      target: `program ${subject.name} to ${hook}`,
      detail: `offset must be a whole number of bytes >= 0 and pid a process id (received offset ${offset}, pid ${pid})`,
    });
  return attachLink(
    subject,
    {
      kind: UPROBE_KIND,
      hook,
      explain: (errno) => explainUprobe(errno, binary, fn, pid),
    },
    ({ prog }) => {
      const name = fn === undefined ? undefined : Buffer.from(`${fn}\0`, 'utf8');
      const opts = new NativeBuffer(UPROBE_OPTS_SIZE + (name?.length ?? 0));
      try {
        opts.view.setBigUint64(0, BigInt(UPROBE_OPTS_SIZE), true);
        opts.view.setUint8(24, retprobe ? 1 : 0);
        if (name) {
          opts.bytes.set(name, UPROBE_OPTS_SIZE);
          opts.view.setBigUint64(32, BigInt(opts.address + UPROBE_OPTS_SIZE), true);
        }
        return linked(native().attachUprobeOpts(prog, pid, binary, offset, opts.address));
      } finally {
        opts.free();
      }
    },
  );
}

function explainUprobe(
  errno: number,
  binary: string,
  fn: string | undefined,
  pid: number,
): Explanation | undefined {
  const missing = probesMissing('uprobe');
  if (missing) return { code: 'NOT_SUPPORTED', hint: missing };
  const name = errnoName(errno);
  if (name === 'ESRCH') return { code: 'NOT_FOUND', hint: `no process has pid ${pid}` };
  if (name !== 'ENOENT') return undefined;
  if (binary.includes('/') && !existsSync(binary))
    return { code: 'NOT_FOUND', hint: `there is no file ${binary}` };
  if (!binary.includes('/') && fn === undefined)
    return {
      code: 'NOT_FOUND',
      hint: `${binary} is not in the library path or PATH; give its full path`,
    };
  return {
    code: 'NOT_FOUND',
    hint: `${binary} has no function ${fn} in its symbol tables (nm -D ${binary} lists them), or is not in the library path or PATH (give its full path)`,
  };
}

/**
 * Attaches by the program's section, as a libbpf skeleton's attach() does
 * (bpf_program__attach): `tp/<category>/<name>`, `raw_tp/<name>`,
 * `tp_btf/<name>`, `fentry/<function>`, `kprobe/<function>`,
 * `uprobe/<binary>:<function>`, ... Programs whose hook is not in their
 * section (xdp, tc, cgroup, a bare `kprobe`) get an error naming the method to use.
 */
export function attachBySection(subject: Subject): Link {
  const facts = programFacts(subject);
  const { section } = facts;
  const kind = kindOf(facts.type, section);
  const target = `program ${subject.name} by its section ${section}`;
  const refuse = (detail: string) =>
    new BpfError({ code: 'INVALID', op: 'attach', target, detail });
  if (kind && !kind.bySection)
    throw refuse(
      `${kind.hook} is chosen at run time, not in the section: use program.${kind.method}`,
    );
  const hook = section.slice(section.indexOf('/') + 1);
  const named = section.includes('/') && hook !== '';
  if (kind && !named)
    throw refuse(
      `the section names no hook: use program.${kind.method}, or name it in the section`,
    );
  // The same causes as the explicit methods, found from the hook the section names.
  const explain = (errno: number): Explanation | undefined => {
    if (kind === TRACEPOINT_KIND) {
      const [category = '', name = ''] = hook.split('/');
      return explainTracepoint(category, name);
    }
    if (kind === RAW_TRACEPOINT_KIND) return explainRawTracepoint(errno, hook);
    if (kind === TRACE_KIND) return explainTrace(errno, section);
    if (kind === KPROBE_KIND) return explainKprobe(errno, hook.split('+')[0]!);
    if (kind === UPROBE_KIND) {
      const [binary = '', fn] = hook.split(':');
      return explainUprobe(errno, binary, fn?.split('+')[0], -1);
    }
    if (errnoName(errno) === 'EOPNOTSUPP')
      return {
        code: 'NOT_SUPPORTED',
        hint: `libbpf cannot attach a ${facts.typeName} program by its section, and bpfmaps has no method for it`,
      };
    return undefined;
  };
  return attachLink(
    subject,
    { kind: kind ?? otherKind(facts.type, section), hook: section, explain },
    ({ prog }) => linked(native().attach(prog)),
  );
}
