import { existsSync, statfsSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { kindNamed, type MapKind, type MapSpec, type MemberLayout } from '@bpfmaps/schema';
import { possibleCpus } from '../cpus.js';
import { BpfError, errnoError, errnoName } from '../errors.js';
import { OwnedFd } from '../fd.js';
import { native } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';
import { checkMap } from './check.js';
import { mapInfo, type MapInfo } from './info.js';
import { pinDenial } from './pin-access.js';

/**
 * Where a map comes from: something that lends an fd while it is open
 * (`BpfObject.map(name)`). RawMap duplicates the fd, so the source keeps its own.
 */
export interface MapSource {
  /** Where the map comes from, for messages (`object flow.bpf.o`). */
  readonly origin: string;
  /** The map's name there, when it has one (messages name it when it is not the spec's). */
  readonly name?: string;
  /** The fd to duplicate now; throws BpfError CLOSED once the source is closed. */
  fd(): number;
  /** Another map of the same origin (a companion, such as a drop counter), when it has one by that name. */
  sibling?(name: string): MapSource | undefined;
  /** The members of struct `cName` in the origin's BTF (an object's), for checking event types. */
  structMembers?(cName: string): readonly MemberLayout[] | undefined;
}

const BPF_FS_MAGIC = 0xcafe4a11;

/** Throws unless `path` would live on a mounted bpf filesystem, saying how to mount one. */
export function checkBpffs(path: string, op: string): void {
  let type: number | undefined;
  try {
    type = Number(statfsSync(dirname(path)).type);
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).errno ?? 0;
    const missing = errnoName(Math.abs(errno)) === 'ENOENT';
    throw errnoError(errno, 'pin-dir', op, path, {
      detail: missing ? `${dirname(path)} does not exist` : pinDenial(errno, path, 'reach'),
    });
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
  readonly spec: MapSpec;
  /** The facts of the map's kind (batch commands, fixed keys, ...). */
  readonly kind: MapKind;
  readonly info: MapInfo;
  readonly #fd: OwnedFd;
  readonly #companions = new Map<string, RawMap>();

  /** Takes ownership of `fd`; closes it if the map does not match `spec` (from `origin`, for messages). */
  private constructor(fd: OwnedFd, spec: MapSpec, origin: string, source?: MapSource) {
    this.#fd = fd;
    this.name = spec.name;
    this.spec = spec;
    try {
      const kind = kindNamed(spec.kind);
      if (!kind)
        throw new BpfError({
          code: 'INVALID',
          op: 'open map',
          target: spec.name,
          detail: `the spec names an unknown map kind "${spec.kind}"`,
        });
      this.kind = kind;
      this.info = mapInfo(fd.use('open'), spec.name);
      checkMap(spec, this.info, origin, source?.structMembers?.bind(source));
    } catch (error) {
      fd.close();
      throw error;
    }
  }

  /** The map that comes with this one in `role` (a drop counter); undefined when it was not found with it. */
  companion(role: string): RawMap | undefined {
    return this.#companions.get(role);
  }

  /** Opens (or creates) the companions of `spec`, closing this map and them if one fails. */
  #withCompanions(open: (spec: MapSpec) => RawMap | undefined): this {
    try {
      for (const [role, spec] of Object.entries(this.spec.companions ?? {})) {
        const map = open(spec);
        if (map) this.#companions.set(role, map);
      }
      return this;
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Takes a duplicate of the source's fd after checking that the map matches `spec`. */
  static open(source: MapSource, spec: MapSpec): RawMap {
    const origin =
      source.name === undefined || source.name === spec.name
        ? source.origin
        : `map ${source.name} of ${source.origin}`;
    const fd = OwnedFd.duplicate(source.fd(), `map ${spec.name}`, {
      opClass: 'info',
      op: 'open map',
      target: `${spec.name} from ${origin}`,
    });
    return new RawMap(fd, spec, origin, source).#withCompanions((companion) => {
      const sibling = source.sibling?.(companion.name);
      return sibling ? RawMap.open(sibling, companion) : undefined;
    });
  }

  /** Opens the map pinned at `path` (on a bpf filesystem). */
  static openPinned(path: string, spec: MapSpec): RawMap {
    checkBpffs(path, 'open pinned map');
    const fd = native().objGet(path);
    if (fd < 0)
      throw errnoError(fd, 'open-pin', 'open pinned map', `${spec.name} at ${path}`, {
        detail: pinDenial(fd, path, 'open'),
      });
    // Companions pinned by name sit beside the map.
    return new RawMap(new OwnedFd(fd, `map ${spec.name}`), spec, `pin ${path}`).#withCompanions(
      (companion) => {
        const beside = join(dirname(path), companion.name);
        return existsSync(beside) ? RawMap.openPinned(beside, companion) : undefined;
      },
    );
  }

  /**
   * Opens the map with kernel id `id` (see `bpftool map list`); needs
   * CAP_SYS_ADMIN. `during` names the operation that needed it (a map of
   * maps' get, on its key) for errors.
   */
  static openById(
    id: number,
    spec: MapSpec,
    during?: { op: string; target: string; key: unknown },
  ): RawMap {
    const fd = native().mapFdById(id);
    if (fd < 0) {
      throw during
        ? errnoError(fd, 'open-id', during.op, during.target, {
            key: during.key,
            detail: `opening the inner map ${spec.name} (id ${id}) by id`,
          })
        : errnoError(fd, 'open-id', 'open map by id', `${spec.name} (id ${id})`);
    }
    return new RawMap(new OwnedFd(fd, `map ${spec.name}`), spec, `id ${id}`);
  }

  /** Creates a fresh kernel map from `spec` (a map-in-map gets a template inner map for the kernel to compare with). */
  static create(spec: MapSpec): RawMap {
    const template = spec.inner ? RawMap.create(spec.inner) : undefined;
    const opts = new NativeBuffer(CREATE_OPTS_SIZE);
    try {
      opts.view.setBigUint64(0, BigInt(CREATE_OPTS_SIZE), true);
      opts.view.setUint32(24, template ? template.fd('create') : 0, true); // inner_map_fd
      opts.view.setUint32(28, spec.flags, true);
      opts.view.setBigUint64(32, BigInt(spec.extra ?? 0), true);
      // A CPU-sized kind declared without a size has one entry per possible CPU, as libbpf gives it.
      const maxEntries = spec.maxEntries || (kindNamed(spec.kind)?.cpuSized ? possibleCpus() : 0);
      const fd = native().mapCreate(
        spec.type,
        spec.name,
        spec.keySize,
        spec.valueSize,
        maxEntries,
        opts.address,
      );
      if (fd < 0) throw errnoError(fd, 'create', 'create map', spec.name);
      return new RawMap(new OwnedFd(fd, `map ${spec.name}`), spec, 'user space').#withCompanions(
        RawMap.create,
      );
    } finally {
      opts.free();
      template?.close();
    }
  }

  /** The fd, for `op`; throws BpfError CLOSED once closed. */
  fd(op: string): number {
    return this.#fd.use(op);
  }

  get closed(): boolean {
    return this.#fd.closed;
  }

  /** Pins the map at `path` on a bpf filesystem, so it outlives this process. */
  pin(path: string): void {
    checkBpffs(path, 'pin map');
    const ret = native().objPin(this.fd('pin'), path);
    if (ret < 0)
      throw errnoError(ret, 'pin', 'pin map', `${this.name} at ${path}`, {
        detail: pinDenial(ret, path, 'create'),
      });
  }

  /** Removes the pin at `path` (the map lives on while fds or programs hold it). */
  static unpin(path: string): void {
    checkBpffs(path, 'unpin map');
    try {
      unlinkSync(path);
    } catch (error) {
      const errno = (error as NodeJS.ErrnoException).errno ?? 0;
      throw errnoError(errno, 'unpin', 'unpin map', path, {
        detail: pinDenial(errno, path, 'remove'),
      });
    }
  }

  close(): void {
    this.#fd.close();
    for (const companion of this.#companions.values()) companion.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** sizeof(struct bpf_map_create_opts) in libbpf 1.1: sz, btf_fd, btf key/value type ids, inner_map_fd, map_flags, map_extra, ... */
const CREATE_OPTS_SIZE = 48;
