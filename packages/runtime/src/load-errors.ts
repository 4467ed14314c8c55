/**
 * Why bpf_object__load failed, in words: the verifier's verdict with its
 * log, or what the errno means here, naming the program that failed, the
 * capabilities this process lacks, and how to load the object without a
 * program the kernel refuses.
 */
import { loadDenial, memlockMatters, type ProgramKind } from './capabilities.js';
import { BpfError, errnoError, errnoName } from './errors.js';
import { native, type Pointer } from './ffi/libbpf.js';
import type { LibbpfLog } from './ffi/log.js';

const EPERM = 1;
const E2BIG = 7;
/** The errnos with which the kernel refuses a program after verifying it (E2BIG: too complex). */
const VERIFIER_ERRNOS = new Set(['EACCES', 'EINVAL', 'E2BIG']);
/** The process's limits, not the program: leaving the program out is no fix. */
const RESOURCE_ERRNOS = new Set(['EMFILE', 'ENFILE', 'ENOMEM']);

/**
 * The error for bpf_object__load's `ret` on libbpf object `obj` (still
 * open), from what libbpf said meanwhile.
 */
export function loadError(ret: number, path: string, obj: Pointer, log: LibbpfLog): BpfError {
  const { text, verifier } = log;
  // Only these are the verifier's verdict; running out of descriptors or memory is not.
  if (verifier && VERIFIER_ERRNOS.has(errnoName(-ret)))
    return new BpfError({
      code: 'VERIFIER',
      op: 'load',
      target: `program ${log.program} of object ${path}`,
      errno: -ret,
      detail:
        -ret === E2BIG
          ? 'the verifier gave up: the program is too complex (its log ends with how many instructions it processed); bound its loops more tightly, use bpf_loop(), or split it with tail calls'
          : 'the verifier refused it',
      log: verifier,
    });
  const program = log.program ?? /prog '([^']+)': failed to load/.exec(text)?.[1];
  // The programs' types say which capabilities an EPERM is about.
  const hint = ret === -EPERM ? permissionHint(programKinds(obj), text) : undefined;
  // Where the kernel refused that program itself (not the process's limits or capabilities), it can stay out.
  const itself = !RESOURCE_ERRNOS.has(errnoName(-ret)) && !(hint && / lacks /.test(hint));
  return errnoError(ret, 'load', 'load object', path, {
    detail:
      program &&
      `loading program ${program}${itself ? `, which can be left out (setAutoload('${program}', false) before load(), or BpfObject.open(path, { programs }))` : ''}`,
    hint,
    log: text,
  });
}

/** Each program of a libbpf object: name, type and the type's name. */
function programKinds(obj: Pointer): ProgramKind[] {
  const lib = native();
  const out: ProgramKind[] = [];
  for (let p = lib.objectNextProgram(obj, null); p; p = lib.objectNextProgram(obj, p)) {
    const type = lib.programType(p);
    out.push({
      name: lib.programName(p),
      type,
      typeName: lib.progTypeName(type) ?? `type ${type}`,
      section: lib.programSectionName(p),
    });
  }
  return out;
}

/**
 * What an EPERM from loading means here: the capabilities this process lacks,
 * with a word on libbpf's RLIMIT_MEMLOCK advice where this kernel does not
 * charge BPF memory to that limit. Undefined leaves the table's hint.
 */
function permissionHint(programs: ProgramKind[], log: string): string | undefined {
  // Refused before the verifier ran (no verifier log), libbpf still names the program.
  const refused = /prog '([^']+)': BPF program load failed/.exec(log)?.[1];
  const denial = loadDenial(programs, undefined, refused);
  if (!denial || memlockMatters() || !/RLIMIT_MEMLOCK|ulimit -l/.test(log)) return denial;
  return `${denial} (libbpf's RLIMIT_MEMLOCK advice below does not apply: kernels since 5.11 do not charge BPF memory to it)`;
}
