import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { BpfError, closedError, errnoError, errnoName } from './errors.js';
import { loadError } from './load-errors.js';
import { lastErrno, native, type Pointer } from './ffi/libbpf.js';
import { withLibbpfLog } from './ffi/log.js';
import type { MapSource } from './maps/raw-map.js';
import { schemaHashesOf } from './elf.js';
import { NativeBuffer } from './ffi/native-buffer.js';
import { readBtf, structType } from './maps/btf.js';
import { Program } from './program.js';
import {
  Global,
  globalCodec,
  globalSections,
  mapGlobalsToKernel,
  type GlobalInfo,
  type GlobalSection,
} from './globals.js';
import type { Codec } from './codec.js';
import { isCType, readSection, typeDifferences, type Btf, type CType } from '@bpfmaps/schema';

const ENOENT = 2;

export interface OpenOptions {
  /**
   * Load only these programs (their C function names); the others stay out
   * of the kernel. Unknown names are refused, listing the programs there are.
   */
  programs?: readonly string[];
}

/**
 * BpfObject is a compiled BPF ELF object parsed by libbpf: opened
 * (BpfObject.open), configured (its globals, which programs load), then
 * loaded (load(): maps created, programs verified). Maps and programs found
 * through it stay valid until close(); typed maps opened from it hold their
 * own fd.
 */
export class BpfObject implements Disposable {
  #ptr: Pointer | null;
  #loaded = false;

  readonly #schemaHashes: readonly string[];
  /** Links of its programs still open: closing the object detaches them. */
  readonly #links = new Set<{ closeWithObject(): void }>();
  readonly #sections: readonly GlobalSection[];
  /** The object's BTF as libbpf fixed it up when opening (data sections placed), parsed once. */
  readonly #btf: Btf | undefined;

  private constructor(
    ptr: Pointer,
    readonly path: string,
    schemaHashes: readonly string[],
  ) {
    this.#ptr = ptr;
    this.#schemaHashes = schemaHashes;
    const btf = native().objectBtf(ptr);
    this.#btf = btf ? readBtf(btf, `the BTF of object ${path}`) : undefined;
    this.#sections = globalSections(ptr, this.#btf);
  }

  /**
   * Opens the object at `path` without loading it: its globals can be set
   * and its programs chosen before load(). The file is read once: libbpf
   * parses those bytes (bpf_object__open_mem) and schemaHashes() reads the
   * same bytes, so a file deleted or replaced after opening changes
   * nothing. Throws BpfError NOT_FOUND (no file, or a program of
   * `options.programs` the object lacks), PERMISSION (the file's mode),
   * INVALID (not a BPF object, no BTF), SYSTEM.
   */
  static open(path: string, options: OpenOptions = {}): BpfObject {
    const image = readObject(path);
    return withLibbpfLog((log) => {
      const ptr = openImage(image, path);
      if (!ptr) throw openError(lastErrno(), image, path, log().text);
      try {
        const obj = new BpfObject(ptr, path, schemaHashesOf(image));
        if (options.programs) obj.#loadOnly(options.programs);
        return obj;
      } catch (error) {
        native().objectClose(ptr);
        throw error;
      }
    });
  }

  /**
   * Opens and loads the object at `path`: BpfObject.open, then load().
   * Throws what both throw.
   */
  static load(path: string, options: OpenOptions = {}): BpfObject {
    const obj = BpfObject.open(path, options);
    obj.load();
    return obj;
  }

  /**
   * Loads the object: creates its maps (with the globals as set so far) and
   * verifies and loads each program whose autoload is on. From then on
   * .rodata is read-only and .data and .bss are the kernel's memory. A
   * failed load closes the object (libbpf loads an object once): open it
   * again. Throws BpfError VERIFIER (a program was refused: the error
   * carries the verifier's log), PERMISSION (capabilities, or a program
   * type this kernel refuses: the error names the program), SYSTEM;
   * INVALID when already loaded, CLOSED when closed.
   */
  load(): void {
    const ptr = this.#handle('load');
    if (this.#loaded)
      throw new BpfError({
        code: 'INVALID',
        op: 'load',
        target: `object ${this.path}`,
        detail:
          'it is already loaded; libbpf loads an object once (open it again for another copy)',
      });
    withLibbpfLog((log) => {
      const lib = native();
      const ret = lib.objectLoad(ptr);
      if (ret < 0) {
        // The error reads the programs' types: make it before closing.
        const error = loadError(ret, this.path, ptr, log());
        this.close();
        throw error;
      }
      this.#loaded = true;
      try {
        mapGlobalsToKernel(ptr, `object ${this.path}`);
      } catch (error) {
        this.close();
        throw error;
      }
    });
  }

  /** Whether load() succeeded (and the object is not closed since). */
  get loaded(): boolean {
    return this.#loaded && this.#ptr !== null;
  }

  /**
   * Whether load() loads program `name` (on for every program by default).
   * Throws BpfError NOT_FOUND listing the programs, INVALID once loaded
   * (choose between open() and load()), CLOSED.
   */
  setAutoload(name: string, autoload: boolean): void {
    const lib = native();
    const prog = this.#find<Pointer>('program', name, lib.objectNextProgram, lib.programName);
    if (this.#loaded)
      throw new BpfError({
        code: 'INVALID',
        op: 'set autoload of',
        target: `program ${name} of object ${this.path}`,
        detail:
          'the object is already loaded; choose the programs to load between BpfObject.open() and load()',
      });
    const ret = lib.programSetAutoload(prog, autoload);
    if (ret < 0) throw errnoError(ret, 'load', 'set autoload of', `program ${name}`);
  }

  /** Whether program `name` loads with the object (or was loaded, once it is). */
  autoload(name: string): boolean {
    const lib = native();
    return lib.programAutoload(
      this.#find<Pointer>('program', name, lib.objectNextProgram, lib.programName),
    );
  }

  /** Turns autoload off for every program not in `names`, after checking that each is there. */
  #loadOnly(names: readonly string[]): void {
    const all = this.programNames();
    const unknown = names.filter((n) => !all.includes(n));
    if (unknown.length > 0)
      throw new BpfError({
        code: 'NOT_FOUND',
        op: 'open object',
        target: this.path,
        detail: `options.programs names ${unknown.map((n) => `"${n}"`).join(', ')}, which the object does not have; it has: ${all.join(', ') || 'none'}`,
      });
    for (const name of all) this.setAutoload(name, names.includes(name));
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
      structType: (cName) => {
        this.#handle('read the BTF of');
        return this.#btf ? structType(this.#btf, cName) : undefined;
      },
      fd: () => {
        this.#handle('open map', `${name} of ${origin} (the object is closed)`);
        if (!this.#loaded)
          throw notLoaded('open map', `${name} of ${origin}`, 'maps are created when it loads');
        return lib.mapFd(map);
      },
    };
  }

  /**
   * The program called `name` (its C function name); throws listing the
   * programs there are. Its fd (so testRun, attach) throws BpfError
   * NOT_LOADED until the object is loaded, and for good when its autoload
   * was off.
   */
  program(name: string): Program {
    const lib = native();
    const prog = this.#find<Pointer>('program', name, lib.objectNextProgram, lib.programName);
    const loaded = (op: string) => {
      const target = `program ${name} of object ${this.path}`;
      this.#handle(op, `program ${name} (its object is closed)`);
      if (!this.#loaded) throw notLoaded(op, target, 'programs load with it');
      if (lib.programFd(prog) < 0)
        throw new BpfError({
          code: 'NOT_LOADED',
          op,
          target,
          detail:
            'the program was not loaded: its autoload was off (setAutoload, or the programs option of BpfObject.open)',
        });
      return prog;
    };
    return new Program(name, {
      fd: (op) => lib.programFd(loaded(op)),
      libbpf: (op) => loaded(op),
      track: (link) => (this.#links.add(link), () => this.#links.delete(link)),
    });
  }

  /** Every global variable of the object's .rodata, .data and .bss sections (custom ones included). */
  globalInfo(): GlobalInfo[] {
    this.#handle('list the globals of');
    return this.#sections.flatMap((s) => s.variables.map((v) => ({ ...v })));
  }

  /**
   * The global variable `name`, read and written with `codec` (or a schema
   * type: `obj.global('targ_pid', u32)`), found in the object's BTF, so any
   * object built with clang -g has them. Set .rodata before load(); .data
   * and .bss at any time, without syscalls once loaded. Throws BpfError
   * NOT_FOUND listing the globals there are, INCOMPATIBLE when the codec's
   * size is not the variable's (or, for a schema type, any member differs
   * from the BTF), INVALID when `codec` is neither, NOT_SUPPORTED when libbpf keeps no memory
   * for its section; the Global's get and set throw CLOSED after close().
   */
  global<T>(name: string, codec: Codec<T> | CType<T>): Global<T> {
    this.#handle('find a global in');
    const section = this.#sections.find((s) => s.variables.some((v) => v.name === name));
    const info = section?.variables.find((v) => v.name === name);
    if (!section || !info) {
      const names = this.#sections.flatMap((s) => s.variables.map((v) => `${v.name} (${s.name})`));
      throw new BpfError({
        code: 'NOT_FOUND',
        op: 'find global',
        target: name,
        detail: `object ${this.path} has no such global variable; it has: ${names.join(', ') || 'none'}`,
      });
    }
    const target = `global ${name} of object ${this.path}`;
    const typed = globalCodec(codec, target);
    if (typed.size !== info.size)
      throw new BpfError({
        code: 'INCOMPATIBLE',
        op: 'open',
        target,
        detail: `the variable is ${info.size} bytes in ${section.name}, the codec ${typed.size}; use a type of ${info.size} bytes`,
      });
    // A schema type says more than its size: every member is compared with the BTF.
    const differences = isCType(codec) ? typeDifferences(name, codec.typeSpec(), info.type) : [];
    if (differences.length > 0)
      throw new BpfError({
        code: 'INCOMPATIBLE',
        op: 'open',
        target,
        detail: `the type differs from the object's BTF (${differences.join('; ')})`,
      });
    const view = section.view;
    if (!view)
      throw new BpfError({
        code: 'NOT_SUPPORTED',
        op: 'open',
        target,
        detail: `libbpf keeps no memory for section ${section.name} (this kernel cannot mmap BPF arrays)`,
      });
    return new Global(
      info,
      typed,
      (op) => {
        // The memory goes away with the object, and .rodata is mapped read-only once loaded: never touch either.
        this.#handle(op, `${target} (the object is closed)`);
        if (op === 'write' && this.#loaded && section.frozenAtLoad)
          throw new BpfError({
            code: 'PERMISSION',
            op: 'set',
            target,
            detail: `${section.name} is read-only once the object is loaded (the kernel froze it); set it between BpfObject.open() and load()`,
          });
        return view;
      },
      target,
    );
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
export function checkSchema(
  obj: BpfObject,
  hash: string,
  source: string,
  op = 'open maps of',
): void {
  const found = obj.schemaHashes();
  if (found.length === 0 || found.includes(hash)) return;
  throw new BpfError({
    code: 'INCOMPATIBLE',
    op,
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

/** The error for using what only exists once the object is loaded, before it is. */
function notLoaded(op: string, target: string, why: string): BpfError {
  return new BpfError({
    code: 'NOT_LOADED',
    op,
    target,
    detail: `the object is opened but not loaded (${why}); call load() first`,
  });
}
