/**
 * A map type binds an accessor class to a spec and the codecs (or inner map
 * type) it is built with: everything needed to open, create or wrap a typed
 * map. Generated modules export one per map (`flowsMap.open(obj.map('flows'))`).
 */
import { kindNamed, type MapSpec } from '@bpfmaps/schema';
import { BpfError } from '../errors.js';
import type { MapHandle } from './handle.js';
import { RawMap, type MapSource, type OpenPinnedOptions } from './raw-map.js';

/**
 * An accessor class: built over a checked RawMap and its arguments (codecs,
 * inner map type). A plain constructor type, so TS infers K and V from it;
 * its instances name themselves (MapHandle.accessor).
 */
export type MapClass<C extends unknown[], M> = new (map: RawMap, ...args: C) => M;

export interface MapType<M> {
  readonly spec: MapSpec;
  /** The typed accessor over a checked raw map; closes the raw map if building it throws. */
  wrap(raw: RawMap): M;
  /** Opens an existing map (BpfObject.map gives the source) after checking it against the spec. */
  open(source: MapSource): M;
  /**
   * Opens the map pinned at `path` on a bpf filesystem; `{ readOnly: true }`
   * opens it for reading only (BPF_F_RDONLY), which needs only read
   * permission on the pin: writes through it throw BpfError PERMISSION.
   */
  openPinned(path: string, options?: OpenPinnedOptions): M;
  /** Opens the map with kernel id `id` (needs CAP_SYS_ADMIN). */
  openById(id: number): M;
  /**
   * Creates a fresh kernel map; it lives until its handle closes, unless
   * pinned. `maxEntries` sizes it at run time (an inner map declared with
   * mapFlags.innerMap may differ from its template's).
   */
  create(options?: CreateOptions): M;
}

export interface CreateOptions {
  maxEntries?: number;
}

/**
 * The map type of `spec` read and written through `ctor`. Throws BpfError
 * INCOMPATIBLE when the spec's kind opens as another accessor: a per-CPU map
 * read as a plain one would copy one value per CPU into room for one.
 */
export function mapType<C extends unknown[], M>(
  ctor: MapClass<C, M>,
  spec: MapSpec,
  ...args: C
): MapType<M> {
  checkAccessor(ctor, spec);
  const wrap = (raw: RawMap): M => {
    try {
      return new ctor(raw, ...args);
    } catch (error) {
      raw.close();
      throw error;
    }
  };
  return Object.freeze({
    spec,
    wrap,
    open: (source: MapSource) => wrap(RawMap.open(source, spec)),
    openPinned: (path: string, options?: OpenPinnedOptions) =>
      wrap(RawMap.openPinned(path, spec, options)),
    openById: (id: number) => wrap(RawMap.openById(id, spec)),
    create: (options: CreateOptions = {}) =>
      wrap(
        RawMap.create(
          options.maxEntries === undefined ? spec : { ...spec, maxEntries: options.maxEntries },
        ),
      ),
  });
}

function checkAccessor(ctor: { prototype: unknown; name: string }, spec: MapSpec): void {
  const kind = kindNamed(spec.kind);
  const accessor = (ctor.prototype as Partial<MapHandle>).accessor ?? ctor.name;
  if (kind?.accessor === accessor) return;
  const expected = kind ? `opens as ${kind.accessor}` : 'is not a kind this runtime knows';
  throw new BpfError({
    code: 'INCOMPATIBLE',
    op: 'open map',
    target: spec.name,
    detail: `a ${spec.kind} map ${expected}, not ${accessor}`,
  });
}

/** Opens an existing map after checking it against `spec` (see MapType.open). */
export function openMap<C extends unknown[], M>(
  ctor: MapClass<C, M>,
  source: MapSource,
  spec: MapSpec,
  ...args: C
): M {
  return mapType(ctor, spec, ...args).open(source);
}

/** Opens the map pinned at `path` (see MapType.openPinned). */
export function openPinnedMap<C extends unknown[], M>(
  ctor: MapClass<C, M>,
  path: string,
  spec: MapSpec,
  ...args: C
): M {
  return mapType(ctor, spec, ...args).openPinned(path);
}

/** Opens the map with kernel id `id` (see MapType.openById). */
export function openMapById<C extends unknown[], M>(
  ctor: MapClass<C, M>,
  id: number,
  spec: MapSpec,
  ...args: C
): M {
  return mapType(ctor, spec, ...args).openById(id);
}

/** Creates a fresh kernel map (see MapType.create). */
export function createMap<C extends unknown[], M>(
  ctor: MapClass<C, M>,
  spec: MapSpec,
  ...args: C
): M {
  return mapType(ctor, spec, ...args).create();
}
