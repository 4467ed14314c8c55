/**
 * Global variables of a BPF object, found by name in its BTF (the DATASEC of
 * each .rodata, .data and .bss section, custom `.data.*` ones included) and
 * read and written in the section's memory, which libbpf hands out with
 * bpf_map__initial_value. Before load that memory is libbpf's image of the
 * section, which load copies into the kernel; after load it is the kernel
 * map itself, mapped at the same address, so reads and writes make no
 * syscall. The kernel freezes .rodata at load: from then on it is mapped
 * read-only, and a write would kill the process, so writes are refused here.
 */
import {
  EncodeError,
  isCType,
  type CType,
  type GlobalsDecl,
  type GlobalsSpec,
  type Btf,
  type InferGlobals,
  type TypeSpec,
  typeDifferences,
} from '@bpfmaps/schema';
import { referenceCodec, type Codec } from './codec.js';
import { BpfError, errnoError } from './errors.js';
import { addressOf, lastErrno, native, viewOf, type Pointer } from './ffi/libbpf.js';
import { NativeBuffer } from './ffi/native-buffer.js';
import { datasec } from './maps/btf.js';
import { liveValue } from './live-value.js';

const BPF_F_RDONLY_PROG = 1 << 7;
const BPF_F_MMAPABLE = 1 << 10;
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_FIXED = 0x10;
/** Sections of variables: not `.kconfig` or `.ksyms`, whose externs libbpf fills in. */
const DATA_SECTION = /^\.(rodata|data|bss)(\.|$)/;

/** Where one global variable of an object lives. */
export interface GlobalInfo {
  name: string;
  /** Its ELF section: `.rodata`, `.data`, `.bss`, or a custom `.data.*` or `.rodata.*`. */
  section: string;
  /** Byte offset in the section. */
  offset: number;
  size: number;
  /** The kernel freezes the section at load (`.rodata`): writable only before. */
  frozenAtLoad: boolean;
  /** Its type, from the object's BTF. */
  type: TypeSpec;
}

/** One section of variables and its memory (undefined where libbpf keeps no image of it). */
export interface GlobalSection {
  name: string;
  frozenAtLoad: boolean;
  view: DataView | undefined;
  variables: GlobalInfo[];
}

/** The sections of variables of a libbpf object, read once when it is opened. */
export function globalSections(obj: Pointer, btf: Btf | undefined): GlobalSection[] {
  const lib = native();
  if (!btf) return [];
  const sections: GlobalSection[] = [];
  const size = new NativeBuffer(8);
  try {
    for (let map = lib.objectNextMap(obj, null); map; map = lib.objectNextMap(obj, map)) {
      const typeId = lib.mapIsInternal(map) ? lib.mapBtfValueTypeId(map) : 0;
      const found = typeId ? datasec(btf, typeId) : undefined;
      if (!found || !DATA_SECTION.test(found.name)) continue;
      const frozenAtLoad = (lib.mapFlags(map) & BPF_F_RDONLY_PROG) !== 0;
      const memory = lib.mapInitialValue(map, size.address);
      const length = Number(size.view.getBigUint64(0, true));
      sections.push({
        name: found.name,
        frozenAtLoad,
        view: memory ? new DataView(viewOf(memory, length)) : undefined,
        variables: found.variables.map((v) => ({ ...v, section: found.name, frozenAtLoad })),
      });
    }
  } finally {
    size.free();
  }
  return sections;
}

/**
 * Maps each loaded section's kernel map over libbpf's image of it, at the
 * same address, as a libbpf skeleton's load does (libbpf 1.5 and later do it
 * in bpf_object__load; doing it again is harmless). From then on the memory
 * globals read and write is the kernel's. Throws BpfError naming the map.
 */
export function mapGlobalsToKernel(obj: Pointer, target: string): void {
  const lib = native();
  const page = lib.sysconf(30); // _SC_PAGESIZE
  const size = new NativeBuffer(8);
  try {
    for (let map = lib.objectNextMap(obj, null); map; map = lib.objectNextMap(obj, map)) {
      const flags = lib.mapFlags(map);
      if (!lib.mapIsInternal(map) || !(flags & BPF_F_MMAPABLE)) continue;
      const memory = lib.mapInitialValue(map, size.address);
      if (!memory) continue;
      // libbpf's bpf_map_mmap_sz: the value rounded to 8 bytes, then to pages (one entry).
      const length =
        Math.ceil((Math.ceil(Number(size.view.getBigUint64(0, true)) / 8) * 8) / page) * page;
      const prot = flags & BPF_F_RDONLY_PROG ? PROT_READ : PROT_READ | PROT_WRITE;
      const at = Number(addressOf(memory));
      const mapped = lib.mmap(at, length, prot, MAP_SHARED | MAP_FIXED, lib.mapFd(map), 0);
      if (addressOf(mapped) !== BigInt(at))
        throw errnoError(lastErrno(), 'load', 'map the globals of', target, {
          detail: `map ${lib.mapName(map)}`,
        });
    }
  } finally {
    size.free();
  }
}

/** How a global reaches its section's memory: checked on every access. */
export type GlobalMemory = (op: 'read' | 'write') => DataView;

/**
 * One global variable of a BpfObject (from `obj.global(name, codec)`), read
 * and written through its section's memory: no syscall once loaded.
 */
export class Global<T> {
  readonly #codec: Codec<T>;
  readonly #memory: GlobalMemory;

  readonly #target: string;

  /** `target` names the variable and its object in errors: `global targ_pid of object x.bpf.o`. */
  constructor(
    readonly info: GlobalInfo,
    codec: Codec<T>,
    memory: GlobalMemory,
    target: string,
  ) {
    this.#codec = codec;
    this.#memory = memory;
    this.#target = target;
  }

  get name(): string {
    return this.info.name;
  }

  /**
   * The variable's value. Throws BpfError CLOSED once the object is closed
   * (its memory is gone).
   */
  get(): T {
    return this.#codec.decode(this.#memory('read'), this.info.offset);
  }

  /**
   * Writes the whole value: into the image load copies into the kernel, or,
   * once loaded, into the kernel map. Checked first (EncodeError naming the
   * variable, its object and the field), so nothing is written when the
   * value does not fit. Throws
   * BpfError PERMISSION for a .rodata variable once the object is loaded,
   * CLOSED once it is closed.
   */
  set(value: T): void {
    const view = this.#memory('write');
    const scratch = new DataView(new ArrayBuffer(this.info.size));
    try {
      this.#codec.encode(scratch, 0, value);
    } catch (error) {
      if (!(error instanceof EncodeError)) throw error;
      // A codec names the type it checks (`u32`, `Filter.port`): say which variable of which object too.
      const own = `global ${this.name}`;
      const path = error.path.startsWith(own)
        ? this.#target.replace(own, error.path)
        : `${this.#target}: ${error.path}`;
      throw new EncodeError(path, error.expected, error.received);
    }
    new Uint8Array(view.buffer, view.byteOffset + this.info.offset, this.info.size).set(
      new Uint8Array(scratch.buffer),
    );
  }
}

/** What typed globals need of an object: a BpfObject. */
export interface GlobalsSource {
  readonly path: string;
  globalInfo(): GlobalInfo[];
  global<T>(name: string, codec: Codec<T>): Global<T>;
}

/** The codec of each variable of a group, by name. */
export type GlobalCodecs<G> = { [K in keyof G]: Codec<G[K]> };

/**
 * The variables of `spec` in `obj` as one frozen object of accessors:
 * `g.targ_pid = 42` encodes into the section's memory, `g.targ_pid`
 * decodes from it. A struct or array reads as a live view that writes
 * through (`g.filter.port = 443` rewrites `filter` with that member
 * changed, checked first). Each variable is checked against the object's
 * BTF first: present, in the section the spec says, of the same type down to
 * every member. Throws BpfError INCOMPATIBLE listing every difference,
 * before anything is read.
 */
export function bindGlobals<G extends object>(
  obj: GlobalsSource,
  spec: GlobalsSpec,
  codecs: GlobalCodecs<G>,
  label: string = spec.section,
): G {
  const found = new Map(obj.globalInfo().map((g) => [g.name, g]));
  const differences = spec.variables.flatMap((v) => {
    const actual = found.get(v.name);
    if (!actual)
      return [
        `${v.name}: not in the object's BTF (build with clang -g, including the generated header without BPFMAPS_NO_GLOBALS, or define the variable yourself)`,
      ];
    if (actual.section !== spec.section)
      return [`${v.name}: schema says section ${spec.section}, BTF says ${actual.section}`];
    if (actual.size !== v.size)
      return [`${v.name}: schema says size ${v.size}, BTF says ${actual.size}`];
    return typeDifferences(v.name, v.type, actual.type);
  });
  if (differences.length > 0) {
    throw new BpfError({
      code: 'INCOMPATIBLE',
      op: 'open globals',
      target: `${label} of object ${obj.path}`,
      detail: `the globals differ from the schema (${differences.join('; ')}). If the schema changed, regenerate the header and rebuild the BPF object`,
    });
  }
  const view = {} as G;
  const globals = spec.variables.map((v) => obj.global(v.name, codecs[v.name as keyof G]));
  for (const global of globals) {
    const read = () => global.get();
    const write = (value: unknown) => global.set(value as never);
    Object.defineProperty(view, global.name, {
      enumerable: true,
      // Structs and arrays write through: `g.filter.port = 443` sets that member.
      get: () => liveValue(read, write),
      set: write,
    });
  }
  // What console.log and JSON.stringify show: the values, not accessors.
  const snapshot = () => Object.fromEntries(globals.map((g) => [g.name, g.get()]));
  Object.defineProperty(view, 'toJSON', { value: snapshot });
  Object.defineProperty(view, Symbol.for('nodejs.util.inspect.custom'), { value: snapshot });
  return Object.freeze(view);
}

/**
 * A codec for `obj.global(name, ...)`: a codec, or any schema type (its
 * reference codec). Throws BpfError INVALID naming `target` for anything else.
 */
export function globalCodec<T>(type: Codec<T> | CType<T>, target: string): Codec<T> {
  if (isCType(type)) return referenceCodec(type as CType<T>);
  const codec = type as Partial<Codec<T>> | null;
  if (
    typeof codec === 'object' &&
    codec !== null &&
    typeof codec.size === 'number' &&
    typeof codec.encode === 'function' &&
    typeof codec.decode === 'function'
  )
    return type as Codec<T>;
  throw new BpfError({
    code: 'INVALID',
    op: 'open',
    target,
    detail: `expected a schema type (such as u32 from @bpfmaps/schema) or a codec, received ${typeof type === 'string' ? JSON.stringify(type) : typeof type}`,
  });
}

/**
 * The variables of a globals declaration in `obj`, through reference codecs
 * (no codegen): `globalsFromSchema(obj, config).targ_pid = 42`. Checked as
 * bindGlobals checks them.
 */
export function globalsFromSchema<D extends GlobalsDecl>(
  obj: GlobalsSource,
  decl: D,
): InferGlobals<D> {
  const codecs = Object.fromEntries(
    Object.entries(decl.variables).map(([name, type]) => [name, referenceCodec(type)]),
  );
  return bindGlobals(obj, decl.spec, codecs as never);
}
