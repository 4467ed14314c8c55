import { SchemaError } from './errors.js';
import { checkIdentifier } from './names.js';
import { isCType, type CType } from './types/base.js';
import { u32 } from './types/scalar.js';

/** Brand that tells a map declaration from anything else a schema file exports. */
export const MAP_BRAND: unique symbol = Symbol.for('bpfmaps.map') as never;

/** The kernel's limit on object names (BPF_OBJ_NAME_LEN, with the NUL). */
export const MAX_MAP_NAME = 15;
/** Hash-style maps reject keys larger than the BPF stack (MAX_BPF_STACK). */
export const MAX_KEY_SIZE = 512;

/** Facts about one kernel map type. */
export interface MapKind {
  /** Our name, used in declarations and messages. */
  name: string;
  /** `enum bpf_map_type` member, as the header spells it. */
  cType: string;
  /** Its value in `enum bpf_map_type` (include/uapi/linux/bpf.h). */
  id: number;
  /** The @bpfmaps/runtime class that generated code uses for it. */
  accessor: string;
}

export const HASH: MapKind = { name: 'hash', cType: 'BPF_MAP_TYPE_HASH', id: 1, accessor: 'HashMap' };
export const ARRAY: MapKind = { name: 'array', cType: 'BPF_MAP_TYPE_ARRAY', id: 2, accessor: 'HashMap' };

/** A kernel map declared in a schema: its name, kind, key and value types. */
export interface MapDecl<K = unknown, V = unknown> {
  readonly [MAP_BRAND]: true;
  /** Name of the map in the kernel and in the C header. */
  readonly name: string;
  readonly kind: MapKind;
  readonly key: CType<K>;
  readonly value: CType<V>;
  readonly maxEntries: number;
  /** `map_flags` at creation (BPF_F_*). */
  readonly flags: number;
  readonly doc: string | undefined;
}

export interface MapOptions<K, V> {
  key: CType<K>;
  value: CType<V>;
  maxEntries: number;
  flags?: number;
  doc?: string;
}

function declare<K, V>(kind: MapKind, name: string, options: MapOptions<K, V>): MapDecl<K, V> {
  const path = `map ${String(name)}`;
  checkIdentifier(name, path, 'map name');
  if (name.length > MAX_MAP_NAME) {
    throw new SchemaError('INVALID_MAP', path, `the name is ${name.length} characters; the kernel keeps at most ${MAX_MAP_NAME}`, 'Shorten the name');
  }
  for (const part of ['key', 'value'] as const) {
    const type = options[part];
    if (!isCType(type)) {
      throw new SchemaError('UNKNOWN_TYPE', `${path}.${part}`, `${part} is not a bpfmaps type`, 'Use a struct(...) or a scalar such as u32');
    }
  }
  for (const part of ['key', 'value'] as const) {
    const type = options[part];
    if (type.anonymous || type.hidden || type.bits !== undefined) {
      throw new SchemaError('INVALID_TYPE', `${path}.${part}`, `${type.label} cannot be a map ${part}`, 'Use a struct, union or scalar');
    }
  }
  if (options.key.size > MAX_KEY_SIZE) {
    throw new SchemaError('INVALID_SIZE', `${path}.key`, `key ${options.key.label} is ${options.key.size} bytes; the kernel accepts at most ${MAX_KEY_SIZE}`);
  }
  const { maxEntries } = options;
  if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > 0xffffffff) {
    throw new SchemaError('INVALID_MAP', `${path}.maxEntries`, `maxEntries must be a whole number in 1..4294967295, received ${String(maxEntries)}`);
  }
  const flags = options.flags ?? 0;
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) {
    throw new SchemaError('INVALID_MAP', `${path}.flags`, `flags must be a u32 of BPF_F_* bits, received ${String(flags)}`);
  }
  return Object.freeze({ [MAP_BRAND]: true as const, name, kind, key: options.key, value: options.value, maxEntries, flags, doc: options.doc });
}

/** hash(name, {key, value, maxEntries}) declares a BPF_MAP_TYPE_HASH. */
export function hash<K, V>(name: string, options: MapOptions<K, V>): MapDecl<K, V> {
  return declare(HASH, name, options);
}

/** array(name, {value, maxEntries}) declares a BPF_MAP_TYPE_ARRAY: keys are u32 indexes. */
export function array<V>(name: string, options: Omit<MapOptions<number, V>, 'key'>): MapDecl<number, V> {
  return declare(ARRAY, name, { ...options, key: u32 });
}

/** True for any map declaration (brand check: works across copies of this package). */
export function isMapDecl(value: unknown): value is MapDecl {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MAP_BRAND] === true;
}
