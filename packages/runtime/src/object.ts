import { existsSync } from 'node:fs';
import { BpfError, fromErrno } from './errors.js';
import { bpf, lastErrno, type Pointer } from './libbpf.js';
import type { MapSource } from './map.js';
import { Program } from './program.js';

/**
 * BpfObject is a compiled BPF ELF object opened and loaded by libbpf: its maps
 * are created and its programs verified. Maps and programs found through it
 * stay valid until close(); typed maps opened from it hold their own fd.
 */
export class BpfObject implements Disposable {
  #ptr: Pointer | null;

  private constructor(
    ptr: Pointer,
    readonly path: string,
  ) {
    this.#ptr = ptr;
  }

  /**
   * Opens and loads the object at `path` (bpf_object__open_file, __load).
   * Throws BpfError naming the file; libbpf prints the verifier log to stderr.
   */
  static load(path: string): BpfObject {
    if (!existsSync(path)) {
      throw new BpfError({ code: 'NOT_FOUND', op: 'open object', target: path, detail: 'no such file; build the BPF object first' });
    }
    const ptr = bpf.objectOpenFile(path, null);
    if (!ptr) throw fromErrno(-lastErrno(), 'open object', path, undefined, 'libbpf could not parse the ELF file');
    const ret = bpf.objectLoad(ptr);
    if (ret < 0) {
      bpf.objectClose(ptr);
      throw fromErrno(ret, 'load object', path, undefined, 'the kernel rejected it; libbpf printed the reason above');
    }
    return new BpfObject(ptr, path);
  }

  get #handle(): Pointer {
    if (!this.#ptr) throw new Error(`object ${this.path}: closed`);
    return this.#ptr;
  }

  /** Names of the maps the object defines. */
  mapNames(): string[] {
    const names: string[] = [];
    for (let m = bpf.objectNextMap(this.#handle, null); m; m = bpf.objectNextMap(this.#handle, m)) names.push(bpf.mapName(m));
    return names;
  }

  /** Names of the programs the object defines. */
  programNames(): string[] {
    const names: string[] = [];
    for (let p = bpf.objectNextProgram(this.#handle, null); p; p = bpf.objectNextProgram(this.#handle, p)) names.push(bpf.programName(p));
    return names;
  }

  /** The map called `name`, as a source for a typed map; throws listing the maps there are. */
  map(name: string): MapSource {
    for (let m = bpf.objectNextMap(this.#handle, null); m; m = bpf.objectNextMap(this.#handle, m)) {
      if (bpf.mapName(m) === name) return { fd: bpf.mapFd(m), origin: `object ${this.path}` };
    }
    throw new BpfError({
      code: 'NOT_FOUND',
      op: 'find map',
      target: name,
      detail: `object ${this.path} has no such map; it has: ${this.mapNames().join(', ') || 'none'}`,
    });
  }

  /** The program called `name` (its C function name); throws listing the programs there are. */
  program(name: string): Program {
    for (let p = bpf.objectNextProgram(this.#handle, null); p; p = bpf.objectNextProgram(this.#handle, p)) {
      if (bpf.programName(p) === name) return new Program(name, bpf.programFd(p), p);
    }
    throw new BpfError({
      code: 'NOT_FOUND',
      op: 'find program',
      target: name,
      detail: `object ${this.path} has no such program; it has: ${this.programNames().join(', ') || 'none'}`,
    });
  }

  /** Unloads the object: its programs and maps go away unless something else holds them. */
  close(): void {
    if (!this.#ptr) return;
    bpf.objectClose(this.#ptr);
    this.#ptr = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
