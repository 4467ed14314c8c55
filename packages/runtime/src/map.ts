import { fromErrno } from './errors.js';
import { OwnedFd } from './fd.js';
import { bpf, lastErrno, sys } from './libbpf.js';
import { mapInfo, type MapInfo } from './map-info.js';
import { checkCompatible, type MapSpec } from './spec.js';

/** Where a map comes from: an fd the caller owns, or one to duplicate. */
export interface MapSource {
  /** A map fd; it is duplicated, so the source keeps its own. */
  fd: number;
  /** Where the fd came from, for messages (`object flow.bpf.o`). */
  origin: string;
}

/**
 * RawMap owns a kernel map fd whose info has been checked against a spec.
 * Typed maps build on it; it knows bytes, not values.
 */
export class RawMap implements Disposable {
  readonly name: string;
  readonly info: MapInfo;
  readonly #fd: OwnedFd;

  private constructor(fd: number, spec: MapSpec) {
    this.#fd = new OwnedFd(fd);
    this.name = spec.name;
    try {
      this.info = mapInfo(fd, spec.name);
      checkCompatible(spec, this.info);
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

  /** Creates a fresh kernel map from `spec`. */
  static create(spec: MapSpec): RawMap {
    const opts = spec.flags === 0 ? null : createOpts(spec.flags);
    const fd = bpf.mapCreate(spec.type, spec.name, spec.keySize, spec.valueSize, spec.maxEntries, opts);
    if (fd < 0) throw fromErrno(fd, 'create map', spec.name);
    return new RawMap(fd, spec);
  }

  get fd(): number {
    return this.#fd.get(`map ${this.name}`);
  }

  get closed(): boolean {
    return this.#fd.closed;
  }

  close(): void {
    this.#fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** struct bpf_map_create_opts with only `sz` and `map_flags` set. */
function createOpts(flags: number): Uint8Array {
  const opts = new Uint8Array(48);
  const view = new DataView(opts.buffer);
  view.setBigUint64(0, 48n, true);
  view.setUint32(28, flags, true);
  return opts;
}

