/**
 * What every attach does: find the program (CLOSED once its object is
 * closed), refuse a program type the hook does not take, call libbpf or
 * the kernel collecting libbpf's log, and turn a failure into an error that
 * names the program, the hook and the cause.
 */
import { attachDenial } from '../capabilities.js';
import { BpfError, errnoError, errnoName, type BpfErrorCode } from '../errors.js';
import { native, type Pointer } from '../ffi/libbpf.js';
import { withLibbpfLog } from '../ffi/log.js';
import { kindOf, type AttachKind } from './kinds.js';
import { Link, type Attachment, type LinkOwner } from './link.js';

/** The program being attached: what Program hands the attach functions. */
export interface Subject {
  readonly name: string;
  /** libbpf's program; throws CLOSED once its object is closed, NOT_SUPPORTED for a program known only by fd. */
  libbpf(op: string): Pointer;
  fd(op: string): number;
  /** Registers a link with the program's object, which closes it on close(). */
  readonly track?: LinkOwner;
}

/** What a failure meant, where the attach function knows more than the errno says. */
export interface Explanation {
  /** Overrides the code the errno table gives. */
  code?: BpfErrorCode;
  hint: string;
}

export interface Attempt {
  kind: AttachKind;
  /** The hook, for messages and the link's description: `tracepoint syscalls:sys_enter_getpid`. */
  hook: string;
  /** Looks at the machine after a failure with this errno, for the real cause. */
  explain?: (errno: number) => Explanation | undefined;
}

/** The facts of a program libbpf knows: its type and section. */
export interface ProgramFacts {
  prog: Pointer;
  type: number;
  typeName: string;
  section: string;
}

export function programFacts(subject: Subject, op = 'attach'): ProgramFacts {
  const lib = native();
  const prog = subject.libbpf(op);
  const type = lib.programType(prog);
  return {
    prog,
    type,
    typeName: lib.progTypeName(type) ?? `type ${type}`,
    section: lib.programSectionName(prog),
  };
}

/**
 * Attaches with `make`, which returns the attachment, or a negative errno
 * (read it right after the call that failed). Throws BpfError INVALID when
 * the program's type does not fit `attempt.kind`, and the error `explain`
 * or the errno table gives when attaching fails.
 */
export function attachLink(
  subject: Subject,
  attempt: Attempt,
  make: (facts: ProgramFacts) => Attachment | number,
): Link {
  const target = `program ${subject.name} to ${attempt.hook}`;
  const facts = programFacts(subject);
  checkFits(facts, attempt.kind, subject.name, target);
  return withLibbpfLog((log) => {
    const made = make(facts);
    if (typeof made === 'number') throw attachError(made, attempt, target, log().text);
    return new Link(made, `program ${subject.name} -> ${attempt.hook}`, subject.track);
  });
}

/** Throws INVALID when a program of this type cannot attach to `kind`, naming the method that fits it. */
export function checkFits(
  facts: ProgramFacts,
  kind: AttachKind,
  program: string,
  target: string,
): void {
  if (kind.programTypes.includes(facts.type)) return;
  const fits = kindOf(facts.type, facts.section);
  const instead = fits
    ? `attach it with ${fits.method}`
    : 'bpfmaps has no attach method for its type';
  throw new BpfError({
    code: 'INVALID',
    op: 'attach',
    target,
    detail: `${program} is a program of type ${facts.typeName} (SEC("${facts.section}")), and ${kind.hook} takes ${kind.sections} programs; ${instead}`,
  });
}

/** The error for attaching that failed with `ret` (-errno). */
export function attachError(ret: number, attempt: Attempt, target: string, log: string): BpfError {
  const errno = Math.abs(ret);
  const explained = attempt.explain?.(errno);
  if (explained?.code)
    return new BpfError({
      code: explained.code,
      op: 'attach',
      target,
      errno,
      detail: explained.hint,
      log: log || undefined,
    });
  const name = errnoName(errno);
  const denied = name === 'EPERM' || name === 'EACCES';
  return errnoError(ret, 'attach', 'attach', target, {
    hint:
      explained?.hint ?? (denied ? attachDenial(attempt.hook, attempt.kind.capability) : undefined),
    log: log || undefined,
  });
}
