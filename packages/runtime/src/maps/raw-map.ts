import { existsSync, readlinkSync, statfsSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  kindNamed,
  kindOfId,
  type CompositeTypeSpec,
  type MapKind,
  type MapSpec,
} from '@bpfmaps/schema';
import { possibleCpus } from '../cpus.js';
import { BpfError, errnoError, errnoName, type ErrnoClass, type OpClass } from '../errors.js';
import { OwnedFd } from '../fd.js';
import { native } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';
import { checkMap } from './check.js';
import { mapInfo, type MapInfo } from './info.js';
import { pinDenial } from './pin-access.js';
import { BPF_FS_MAGIC } from '../mounts.js';
import { mapBtf, type MapBtf } from './btf-write.js';

/** The origin of maps created from user space, in messages. */
const CREATED = 'user space';

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
  /** Struct `cName` of the origin's BTF (an object's), for checking event types. */
  structType?(cName: string): CompositeTypeSpec | undefined;
}

/**
 * Throws unless `path` names a pin (or a place for one) on a mounted bpf
 * filesystem: a directory is not a pin, and a directory off bpffs gets the
 * command that mounts one. `target` names the path in errors.
 */
export function checkBpffs(path: string, op: string, target = path): void {
  if (isDirectory(path)) {
    throw new BpfError({
      code: 'INVALID',
      op,
      target,
      detail: 'this is a directory, not a pin; a pin path names a file in one',
    });
  }
  let type: number | undefined;
  try {
    type = Number(statfsSync(dirname(path)).type);
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).errno ?? 0;
    const missing = errnoName(Math.abs(errno)) === 'ENOENT';
    throw errnoError(errno, 'pin-dir', op, target, {
      detail: missing ? `${dirname(path)} does not exist` : pinDenial(errno, path, 'reach'),
    });
  }
  if (type !== BPF_FS_MAGIC) {
    throw new BpfError({
      code: 'INVALID',
      op,
      target,
      detail: `${dirname(path)} is not on a bpf filesystem; mount one with: mount -t bpf bpf /sys/fs/bpf`,
    });
  }
}

/** True when `path` is a directory; false when it is anything else, or cannot be looked at (later steps say why). */
function isDirectory(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

/** What the kernel names the anonymous inodes of the BPF objects a pin can hold, other than maps. */
const NOT_MAPS: Record<string, string> = {
  'anon_inode:bpf-prog': 'a program',
  'anon_inode:bpf_link': 'a link',
  'anon_inode:bpf-link': 'a link',
};

/**
 * What `fd` refers to when it is not a map (`a program`), from its inode's
 * name in /proc: bpf_obj_get opens programs and links too, and their info
 * read as a map's is garbage. Undefined for a map, or when /proc cannot say.
 */
function notAMap(fd: number): string | undefined {
  let link: string;
  try {
    link = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
  if (link === 'anon_inode:bpf-map') return undefined;
  return NOT_MAPS[link] ?? `something else (${link})`;
}

export interface OpenPinnedOptions {
  /**
   * Open the map for reading only (BPF_F_RDONLY): needs only read permission
   * on the pin. Writes through the handle throw BpfError PERMISSION.
   */
  readOnly?: boolean;
}

/** BPF_F_RDONLY: the fd may read the map, not write it. */
const BPF_F_RDONLY = 1 << 3;
/** sizeof(struct bpf_obj_get_opts): sz, file_flags. */
const OBJ_GET_OPTS_SIZE = 16;

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
  /** Opened read-only (BPF_F_RDONLY): the kernel refuses writes through this fd. */
  readonly readOnly: boolean;
  /** Where the map came from, for messages: `object flow.bpf.o`, `user space`, `id 12`, a pin's path. */
  readonly origin: string;
  readonly #fd: OwnedFd;
  readonly #companions = new Map<string, RawMap>();

  /** Takes ownership of `fd`; closes it if the map does not match `spec` (from `origin`, for messages). */
  private constructor(
    fd: OwnedFd,
    spec: MapSpec,
    origin: string,
    source?: MapSource,
    readOnly = false,
  ) {
    this.#fd = fd;
    this.name = spec.name;
    this.spec = spec;
    this.readOnly = readOnly;
    this.origin = origin;
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
      // A map just created from this spec has its BTF from it too: reading it back would check nothing.
      const created = origin === CREATED;
      checkMap(
        spec,
        created ? { ...this.info, btfId: 0 } : this.info,
        origin,
        source?.structType?.bind(source),
      );
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

  /**
   * Opens the map pinned at `path` (on a bpf filesystem); with `readOnly`,
   * for reading only. Throws BpfError INVALID when the path is a directory,
   * or the pin is a program or a link rather than a map.
   */
  static openPinned(path: string, spec: MapSpec, options: OpenPinnedOptions = {}): RawMap {
    const op = 'open pinned map';
    const target = `${spec.name} at ${path}`;
    checkBpffs(path, op, target);
    const readOnly = options.readOnly === true;
    const fd = readOnly ? openReadOnly(path) : native().objGet(path);
    if (fd < 0)
      throw errnoError(fd, 'open-pin', op, target, {
        detail: pinDenial(fd, path, readOnly ? 'read' : 'open'),
      });
    const other = notAMap(fd);
    if (other !== undefined) {
      native().close(fd);
      throw new BpfError({
        code: 'INVALID',
        op,
        target,
        detail: `the pin is ${other}, not a map`,
      });
    }
    // Companions pinned by name sit beside the map.
    return new RawMap(
      new OwnedFd(fd, `map ${spec.name}`),
      spec,
      `pin ${path}`,
      undefined,
      readOnly,
    ).#withCompanions((companion) => {
      const beside = join(dirname(path), companion.name);
      return existsSync(beside) ? RawMap.openPinned(beside, companion, options) : undefined;
    });
  }

  /**
   * What the map pinned at `path` is, without a spec to check it against
   * (`bpfmaps ls`): the kernel's info, and how many entries it holds (a
   * next-key walk; an array's max_entries). Opened read-only and closed
   * again. Throws as openPinned does, INVALID for a pinned program or link.
   */
  static inspectPinned(path: string): { info: MapInfo; entries: number } {
    const op = 'inspect pinned map';
    checkBpffs(path, op, path);
    const fd = openReadOnly(path);
    if (fd < 0) throw errnoError(fd, 'open-pin', op, path, { detail: pinDenial(fd, path, 'read') });
    const owned = new OwnedFd(fd, `pin ${path}`);
    try {
      const other = notAMap(fd);
      if (other !== undefined)
        throw new BpfError({
          code: 'INVALID',
          op,
          target: path,
          detail: `the pin is ${other}, not a map`,
        });
      const info = mapInfo(fd, path);
      const kind = kindOfId(info.type);
      if (kind?.fixedKeys) return { info, entries: info.maxEntries };
      const keys = new NativeBuffer(2 * Math.max(info.keySize, 1));
      let entries = 0;
      try {
        const lib = native();
        let current = 0;
        // Bounded: a map being written may restart the walk, but it holds no more than max_entries.
        while (
          entries < info.maxEntries &&
          lib.nextKey(fd, current, keys.address + info.keySize) === 0
        ) {
          keys.bytes.copyWithin(0, info.keySize, 2 * info.keySize);
          current = keys.address;
          entries++;
        }
      } finally {
        keys.free();
      }
      return { info, entries };
    } finally {
      owned.close();
    }
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
    let btf: MapBtf | undefined;
    try {
      btf = mapBtf(spec);
      opts.view.setBigUint64(0, BigInt(CREATE_OPTS_SIZE), true);
      if (btf) {
        opts.view.setUint32(8, btf.fd, true); // btf_fd
        opts.view.setUint32(12, btf.keyTypeId, true);
        opts.view.setUint32(16, btf.valueTypeId, true);
      }
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
      return new RawMap(new OwnedFd(fd, `map ${spec.name}`), spec, CREATED).#withCompanions(
        RawMap.create,
      );
    } finally {
      opts.free();
      template?.close();
      btf?.free();
    }
  }

  /** The fd, for `op`; throws BpfError CLOSED once closed. */
  fd(op: string): number {
    return this.#fd.use(op);
  }

  get closed(): boolean {
    return this.#fd.closed;
  }

  /** How errnos of operations of class `base` read on this map: a read-only handle's EPERM says why. */
  errnoClass(base: OpClass): ErrnoClass {
    return this.readOnly ? ['read-only', base] : base;
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

/** BPF_OBJ_GET with BPF_F_RDONLY: an fd that may read the map and not write it. */
function openReadOnly(path: string): number {
  const opts = new NativeBuffer(OBJ_GET_OPTS_SIZE);
  try {
    opts.view.setBigUint64(0, BigInt(OBJ_GET_OPTS_SIZE), true);
    opts.view.setUint32(8, BPF_F_RDONLY, true);
    return native().objGetOpts(path, opts.address);
  } finally {
    opts.free();
  }
}

/** sizeof(struct bpf_map_create_opts) in libbpf 1.1: sz, btf_fd, btf key/value type ids, inner_map_fd, map_flags, map_extra, ... */
const CREATE_OPTS_SIZE = 48;
