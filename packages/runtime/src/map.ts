import { statfsSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { btfMembers } from './btf.js';
import { BpfError, fromErrno } from './errors.js';
import { OwnedFd } from './fd.js';
import { bpf, lastErrno, sys } from './libbpf.js';
import { mapInfo, type MapInfo } from './map-info.js';
import { infoDifferences, memberDifferences, refuse, type MapSpec } from './spec.js';

/** Where a map comes from: an fd to duplicate, so the source keeps its own. */
export interface MapSource {
  fd: number;
  /** Where the fd came from, for messages (`object flow.bpf.o`). */
  origin: string;
}

const BPF_FS_MAGIC = 0xcafe4a11;

/** Throws unless `path` would live on a mounted bpf filesystem, saying how to mount one. */
export function checkBpffs(path: string, op: string): void {
  let type: number | undefined;
  try {
    type = Number(statfsSync(dirname(path)).type);
  } catch (error) {
    throw new BpfError({ code: 'NOT_FOUND', op, target: path, detail: `${dirname(path)} does not exist (${(error as Error).message})` });
  }
  if (type !== BPF_FS_MAGIC) {
    throw new BpfError({
      code: 'INVALID',
      op,
      target: path,
      detail: `${dirname(path)} is not on a bpf filesystem; mount one with: mount -t bpf bpf /sys/fs/bpf`,
    });
  }
}

/**
 * RawMap owns a kernel map fd whose info (and BTF, where the map has it) has
 * been checked against a spec. Typed maps build on it; it knows bytes, not values.
 */
export class RawMap implements Disposable {
  readonly name: string;
  readonly info: MapInfo;
  readonly #fd: OwnedFd;

  private constructor(fd: number, spec: MapSpec) {
    this.#fd = new OwnedFd(fd, `map ${spec.name}`);
    this.name = spec.name;
    try {
      this.info = mapInfo(fd, spec.name);
      const btf = btfMembers(this.info.btfId, this.info.btfKeyTypeId, this.info.btfValueTypeId);
      refuse(spec, [
        ...infoDifferences(spec, this.info),
        ...memberDifferences('key', spec.keyMembers, btf?.key),
        ...memberDifferences('value', spec.valueMembers, btf?.value),
      ]);
    } catch (error) {
      this.#fd.close();
      throw error;
    }
  }

  /** Takes a duplicate of `source.fd` after checking that the map matches `spec`. */
  static open(source: MapSource, spec: MapSpec): RawMap {
    const fd = sys.dupCloexec(source.fd);
    if (fd < 0) throw fromErrno(-lastErrno(), 'open map', `${spec.name} from ${source.origin}`);
    return new RawMap(fd, spec);
  }

  /** Opens the map pinned at `path` (on a bpf filesystem). */
  static openPinned(path: string, spec: MapSpec): RawMap {
    checkBpffs(path, 'open pinned map');
    const fd = bpf.objGet(path);
    if (fd < 0) throw fromErrno(fd, 'open pinned map', `${spec.name} at ${path}`);
    return new RawMap(fd, spec);
  }

  /** Opens the map with kernel id `id` (see `bpftool map list`). */
  static openById(id: number, spec: MapSpec): RawMap {
    const fd = bpf.mapFdById(id);
    if (fd < 0) throw fromErrno(fd, 'open map by id', `${spec.name} (id ${id})`);
    return new RawMap(fd, spec);
  }

  /** Creates a fresh kernel map from `spec`. */
  static create(spec: MapSpec): RawMap {
    const opts = spec.flags === 0 && !spec.extra ? null : createOpts(spec.flags, spec.extra ?? 0);
    const fd = bpf.mapCreate(spec.type, spec.name, spec.keySize, spec.valueSize, spec.maxEntries, opts);
    if (fd < 0) throw fromErrno(fd, 'create map', spec.name);
    return new RawMap(fd, { ...spec, keyMembers: undefined, valueMembers: undefined });
  }

  get fd(): number {
    return this.#fd.value;
  }

  get closed(): boolean {
    return this.#fd.closed;
  }

  /** Pins the map at `path` on a bpf filesystem, so it outlives this process. */
  pin(path: string): void {
    checkBpffs(path, 'pin map');
    const ret = bpf.objPin(this.fd, path);
    if (ret < 0) throw fromErrno(ret, 'pin map', `${this.name} at ${path}`);
  }

  /** Removes the pin at `path` (the map lives on while fds or programs hold it). */
  static unpin(path: string): void {
    checkBpffs(path, 'unpin map');
    try {
      unlinkSync(path);
    } catch (error) {
      throw new BpfError({ code: 'NOT_FOUND', op: 'unpin map', target: path, detail: (error as Error).message });
    }
  }

  close(): void {
    this.#fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** struct bpf_map_create_opts with `sz`, `map_flags` and `map_extra` set. */
function createOpts(flags: number, extra: number): Uint8Array {
  const opts = new Uint8Array(48);
  const view = new DataView(opts.buffer);
  view.setBigUint64(0, 48n, true);
  view.setUint32(28, flags, true);
  view.setBigUint64(32, BigInt(extra), true);
  return opts;
}
