import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadDenial, memlockMatters, type ProgramKind } from './capabilities.js';
import { BpfError, closedError, errnoError, errnoName } from './errors.js';
import { lastErrno, native, type Pointer } from './ffi/libbpf.js';
import { withLibbpfLog } from './ffi/log.js';
import type { MapSource } from './maps/raw-map.js';
import { readSection, schemaHashesOf } from './elf.js';
import { NativeBuffer } from './ffi/native-buffer.js';
import { structMembers } from './maps/btf.js';
import { Program } from './program.js';

const EPERM = 1;
const ENOENT = 2;
const E2BIG = 7;
/** The errnos with which the kernel refuses a program after verifying it (E2BIG: too complex). */
const VERIFIER_ERRNOS = new Set(['EACCES', 'EINVAL', 'E2BIG']);

/**
 * BpfObject is a compiled BPF ELF object opened and loaded by libbpf: its maps
 * are created and its programs verified. Maps and programs found through it
 * stay valid until close(); typed maps opened from it hold their own fd.
 */
export class BpfObject implements Disposable {
  #ptr: Pointer | null;

  readonly #schemaHashes: readonly string[];
  /** Links of its programs still open: closing the object detaches them. */
  readonly #links = new Set<{ closeWithObject(): void }>();

  private constructor(
    ptr: Pointer,
    readonly path: string,
    schemaHashes: readonly string[],
  ) {
    this.#ptr = ptr;
    this.#schemaHashes = schemaHashes;
  }

  /**
   * Opens and loads the object at `path`. The file is read once: libbpf
   * loads those bytes (bpf_object__open_mem, __load) and schemaHashes()
   * reads the same bytes, so a file deleted or replaced after loading
   * changes nothing. Throws BpfError NOT_FOUND (no file), PERMISSION (the
   * file's mode, missing capabilities), INVALID (not a BPF object, no BTF),
   * VERIFIER (a program was refused: the error carries the verifier's log),
   * SYSTEM (out of file descriptors or memory).
   */
  static load(path: string): BpfObject {
    const image = readObject(path);
    return withLibbpfLog((log) => {
      const lib = native();
      const ptr = openImage(image, path);
      if (!ptr) throw openError(lastErrno(), image, path, log().text);
      const ret = lib.objectLoad(ptr);
      if (ret < 0) {
        // The programs' types say which capabilities an EPERM is about: read them before closing.
        const programs = ret === -EPERM ? programKinds(ptr) : [];
        lib.objectClose(ptr);
        const { text, verifier, program } = log();
        // Only these are the verifier's verdict; running out of descriptors or memory is not.
        if (verifier && VERIFIER_ERRNOS.has(errnoName(-ret)))
          throw new BpfError({
            code: 'VERIFIER',
            op: 'load',
            target: `program ${program} of object ${path}`,
            errno: -ret,
            detail:
              -ret === E2BIG
                ? 'the verifier gave up: the program is too complex (its log ends with how many instructions it processed); bound its loops more tightly, use bpf_loop(), or split it with tail calls'
                : 'the verifier refused it',
            log: verifier,
          });
        throw errnoError(ret, 'load', 'load object', path, {
          detail: program ? `loading program ${program}` : undefined,
          hint: ret === -EPERM ? permissionHint(programs, text) : undefined,
          log: text,
        });
      }
      return new BpfObject(ptr, path, schemaHashesOf(image));
    });
  }

  /** The libbpf object, for `op`; throws BpfError CLOSED once closed. */
  #handle(op: string, target = `object ${this.path}`): Pointer {
    if (!this.#ptr) throw closedError(op, target);
    return this.#ptr;
  }

  get closed(): boolean {
    return this.#ptr === null;
  }

  /**
   * The schema hashes of the bpfmaps headers the object was built from, read
   * from the bytes that were loaded; empty for an object built without one.
   */
  schemaHashes(): string[] {
    return [...this.#schemaHashes];
  }

  /** Names of the maps the object defines. */
  mapNames(): string[] {
    const lib = native();
    const obj = this.#handle('list the maps of');
    const names: string[] = [];
    for (let m = lib.objectNextMap(obj, null); m; m = lib.objectNextMap(obj, m))
      names.push(lib.mapName(m));
    return names;
  }

  /** Names of the programs the object defines. */
  programNames(): string[] {
    const lib = native();
    const obj = this.#handle('list the programs of');
    const names: string[] = [];
    for (let p = lib.objectNextProgram(obj, null); p; p = lib.objectNextProgram(obj, p))
      names.push(lib.programName(p));
    return names;
  }

  #find<T>(
    kind: 'map' | 'program',
    name: string,
    next: (obj: Pointer, at: T | null) => T | null,
    nameOf: (at: T) => string,
  ): T {
    const obj = this.#handle(`find a ${kind} in`);
    for (let at = next(obj, null); at; at = next(obj, at)) if (nameOf(at) === name) return at;
    const names = kind === 'map' ? this.mapNames() : this.programNames();
    throw new BpfError({
      code: 'NOT_FOUND',
      op: `find ${kind}`,
      target: name,
      detail: `object ${this.path} has no such ${kind}; it has: ${names.join(', ') || 'none'}`,
    });
  }

  /** The map called `name`, as a source for a typed map; throws listing the maps there are. */
  map(name: string): MapSource {
    const lib = native();
    const map = this.#find<Pointer>('map', name, lib.objectNextMap, lib.mapName);
    // The fd is read when the map is opened, so a source from a closed object cannot reach another map.
    const origin = `object ${this.path}`;
    return {
      origin,
      name,
      sibling: (other) => (this.mapNames().includes(other) ? this.map(other) : undefined),
      structMembers: (cName) => {
        const btf = lib.objectBtf(this.#handle('read the BTF of'));
        return btf ? structMembers(btf, cName) : undefined;
      },
      fd: () => (
        this.#handle('open map', `${name} of ${origin} (the object is closed)`),
        lib.mapFd(map)
      ),
    };
  }

  /** The program called `name` (its C function name); throws listing the programs there are. */
  program(name: string): Program {
    const lib = native();
    const prog = this.#find<Pointer>('program', name, lib.objectNextProgram, lib.programName);
    return new Program(name, {
      fd: (op) => (this.#handle(op, `program ${name} (its object is closed)`), lib.programFd(prog)),
      libbpf: (op) => (this.#handle(op, `program ${name} (its object is closed)`), prog),
      track: (link) => (this.#links.add(link), () => this.#links.delete(link)),
    });
  }

  /** Unloads the object: its programs and maps go away unless something else holds them. */
  close(): void {
    if (!this.#ptr) return;
    for (const link of [...this.#links]) link.closeWithObject();
    native().objectClose(this.#ptr);
    this.#ptr = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Throws BpfError INCOMPATIBLE when `obj` was built from a header of another
 * version of the schema than the generated module's (`hash`, from `source`):
 * the header and the module of a pair were generated apart. Objects built
 * without a bpfmaps header pass (their maps are still checked one by one).
 */
export function checkSchema(obj: BpfObject, hash: string, source: string): void {
  const found = obj.schemaHashes();
  if (found.length === 0 || found.includes(hash)) return;
  throw new BpfError({
    code: 'INCOMPATIBLE',
    op: 'open maps of',
    target: `object ${obj.path}`,
    detail: `it was built from a header of another version of ${source} (header ${found.join(', ')}, module ${hash}): run codegen on ${source} and rebuild the object`,
  });
}

/** The bytes of the object file at `path`; throws BpfError naming the file. */
function readObject(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const { errno, message } = error as NodeJS.ErrnoException;
    if (errno === undefined)
      throw new BpfError({ code: 'SYSTEM', op: 'open object', target: path, detail: message });
    if (errnoName(Math.abs(errno)) === 'ENOENT')
      throw new BpfError({
        code: 'NOT_FOUND',
        op: 'open object',
        target: path,
        detail: 'no such file; build the BPF object first',
      });
    // A directory this user may not search hides the file: that is no reason to build it again.
    throw errnoError(errno, 'open-object', 'open object', path);
  }
}

/** sizeof(struct bpf_object_open_opts) up to object_name: libbpf takes a shorter struct from older callers. */
const OPEN_OPTS_SIZE = 16;

/**
 * libbpf's object parsed from `image` (bpf_object__open_mem), or null with
 * errno set. It is named as bpf_object__open_file would name it (the file's
 * base name up to its first dot), so its internal maps (`prog.rodata`) are
 * too. libbpf is done with the bytes when this returns: it copies what it keeps.
 */
function openImage(image: Uint8Array, path: string): Pointer | null {
  const name = Buffer.from(`${basename(path).split('.')[0]}\0`, 'utf8');
  const memory = new NativeBuffer(image.length);
  const opts = new NativeBuffer(OPEN_OPTS_SIZE + name.length);
  try {
    memory.bytes.set(image);
    opts.bytes.set(name, OPEN_OPTS_SIZE);
    opts.view.setBigUint64(0, BigInt(OPEN_OPTS_SIZE), true); // sz
    opts.view.setBigUint64(8, BigInt(opts.address + OPEN_OPTS_SIZE), true); // object_name
    return native().objectOpenMem(memory.address, image.length, opts.address);
  } finally {
    memory.free();
    opts.free();
  }
}

/**
 * Why libbpf could not parse the object. Maps defined the BTF way need the
 * object's BTF, and libbpf answers ENOENT without it: that file exists, it
 * was built without -g.
 */
function openError(errno: number, image: Uint8Array, path: string, log: string): BpfError {
  if (Math.abs(errno) === ENOENT && !readSection(image, '.BTF'))
    return new BpfError({
      code: 'INVALID',
      op: 'open object',
      target: path,
      errno: Math.abs(errno),
      detail: 'the object has no BTF: compile with clang -g (libbpf needs BTF to read its maps)',
      log,
    });
  return errnoError(errno, 'open-object', 'open object', path, { log });
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
