import { SchemaError } from '../errors.js';
import { checkIdentifier } from '../names.js';
import { isCType, type CType } from '../types/base.js';
import type { CompositeType } from '../types/composite.js';
import { countSpinLocks } from '../types/pad.js';
import type { TypeSpec } from '../btf/type-spec.js';
import { flagNames, KNOWN_FLAGS, mapFlags } from './flags.js';
import { MAP_BRAND, type MapDecl, type MapKind, type Pinning } from './types.js';
import { eventSpec, type EventType } from './events.js';
import type { MapSpec } from './spec.js';

export { MAP_BRAND, type MapDecl, type Pinning } from './types.js';

/** The kernel's limit on object names (BPF_OBJ_NAME_LEN, with the NUL). */
export const MAX_MAP_NAME = 15;
/** Hash-style maps reject keys larger than the BPF stack (MAX_BPF_STACK). */
export const MAX_KEY_SIZE = 512;

/** Options every declaration takes. */
export interface CommonOptions {
  maxEntries: number;
  flags?: number;
  pinning?: Pinning;
  doc?: string;
  /** Serve the map as Prometheus metrics (@bpfmaps/exporter, `bpfmaps export`). */
  export?: boolean;
}

/** What a kind's declaration function hands over. */
export interface Declared<K, V, I> extends CommonOptions {
  key?: CType<K>;
  value?: CType<V>;
  inner?: I & MapDecl;
  event?: EventType;
  extra?: number;
  /** Maps that come with this one, by role (a ring buffer's drop counter). */
  companions?: Record<string, MapDecl>;
  /** A map made for another (a companion): its name may pass the kernel's 15 characters, which libbpf cuts. */
  companion?: boolean;
}

/**
 * Checks a declaration against its kind and builds it. Every error names the
 * map and the option at fault, and says what the kernel would accept.
 */
export function declareMap<K, V, N extends string, I = unknown>(
  kind: MapKind<N>,
  name: string,
  options: Declared<K, V, I>,
): MapDecl<K, V, N, I> {
  const path = `map ${String(name)}`;
  checkIdentifier(name, path, 'map name');
  if (name.length > MAX_MAP_NAME && !options?.companion) {
    throw new SchemaError(
      'INVALID_MAP',
      path,
      `the name is ${name.length} characters; the kernel keeps at most ${MAX_MAP_NAME}`,
      'Shorten the name',
    );
  }
  if (typeof options !== 'object' || options === null)
    throw new SchemaError('INVALID_MAP', path, 'the options must be an object');
  const key = kind.parts.includes('key') ? checkPart(path, 'key', options.key) : undefined;
  const value = kind.parts.includes('value') ? checkPart(path, 'value', options.value) : undefined;
  const inner = kind.parts.includes('inner') ? checkInner(path, options.inner) : undefined;
  const event = kind.parts.includes('event') ? eventSpec(path, options.event) : undefined;
  if (key && key.size > MAX_KEY_SIZE) {
    throw new SchemaError(
      'INVALID_SIZE',
      `${path}.key`,
      `key ${key.label} is ${key.size} bytes; the kernel accepts at most ${MAX_KEY_SIZE}`,
    );
  }
  if (value && value.size > kind.maxValueSize) {
    throw new SchemaError(
      'INVALID_SIZE',
      `${path}.value`,
      `value ${value.label} is ${value.size} bytes; ${kind.name} maps hold at most ${kind.maxValueSize}`,
    );
  }
  if (value) checkSpinLocks(path, kind, value);
  if (value && kind.counterAdd === 'add-atomic') checkAtomicCounters(path, value);
  if (key && countSpinLocks(key) > 0)
    throw new SchemaError(
      'INVALID_TYPE',
      `${path}.key`,
      'a key cannot hold a spinLock',
      'Put the spinLock in the value',
    );
  const { maxEntries } = options;
  const least = kind.cpuSized ? 0 : 1;
  if (!Number.isInteger(maxEntries) || maxEntries < least || maxEntries > 0xffffffff) {
    throw new SchemaError(
      'INVALID_MAP',
      `${path}.maxEntries`,
      `maxEntries must be a whole number in ${least}..4294967295, received ${String(maxEntries)}`,
    );
  }
  const flags = checkFlags(kind, path, options.flags ?? 0);
  const pinning = options.pinning ?? 'none';
  if (pinning !== 'none' && pinning !== 'byName') {
    throw new SchemaError(
      'INVALID_MAP',
      `${path}.pinning`,
      `pinning must be "none" or "byName", received ${JSON.stringify(pinning)}`,
    );
  }
  if (options.doc !== undefined && typeof options.doc !== 'string') {
    throw new SchemaError(
      'INVALID_MAP',
      `${path}.doc`,
      `doc must be a string, received ${typeof options.doc}`,
    );
  }
  if (options.export !== undefined && typeof options.export !== 'boolean') {
    throw new SchemaError(
      'INVALID_MAP',
      `${path}.export`,
      `export must be true or false, received ${JSON.stringify(options.export)}`,
    );
  }
  const exportable =
    kind.btfTypes && kind.parts.includes('key') && kind.parts.includes('value') && !inner;
  if (options.export && !exportable) {
    throw new SchemaError(
      'INVALID_MAP',
      `${path}.export`,
      `a ${kind.name} map has no entries of keys and values to serve as metrics; export: true fits hash, array, LRU, per-CPU and LPM trie maps`,
    );
  }
  const extra = options.extra ?? 0;
  const companions =
    options.companions && Object.keys(options.companions).length
      ? Object.freeze({ ...options.companions })
      : undefined;
  const spec: MapSpec = Object.freeze({
    name,
    kind: kind.name,
    type: kind.id,
    keySize: key?.size ?? 0,
    valueSize: value?.size ?? 0,
    maxEntries,
    flags,
    ...(extra ? { extra } : {}),
    ...optional('spinLock', value && countSpinLocks(value) > 0),
    ...optional('keyType', key?.typeSpec()),
    ...optional('valueType', value?.typeSpec()),
    ...optional('inner', inner?.spec),
    ...optional('event', event?.spec),
    ...optional(
      'companions',
      companions &&
        Object.fromEntries(Object.entries(companions).map(([role, c]) => [role, c.spec])),
    ),
  });
  return Object.freeze({
    [MAP_BRAND]: true as const,
    name,
    kind,
    key,
    value,
    inner,
    event: event ? options.event : undefined,
    companions: companions ?? {},
    maxEntries,
    flags,
    extra,
    pinning,
    doc: options.doc,
    export: options.export === true,
    spec,
  });
}

/** `{ [name]: value }`, or nothing when the value is absent (exact optional properties). */
function optional<K extends string, T>(name: K, value: T | undefined): { [P in K]?: T } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: T };
}

function checkPart<T>(path: string, part: 'key' | 'value', type: CType<T> | undefined): CType<T> {
  if (!isCType(type)) {
    throw new SchemaError(
      'UNKNOWN_TYPE',
      `${path}.${part}`,
      `${part} is not a bpfmaps type (received ${typeof type})`,
      'Use a struct(...) or a scalar such as u32',
    );
  }
  type.checkStandalone(`${path}.${part}`);
  return type;
}

function checkInner<I>(path: string, inner: (I & MapDecl) | undefined): I & MapDecl {
  if (!isMapDecl(inner)) {
    throw new SchemaError(
      'INVALID_MAP',
      `${path}.inner`,
      'inner must be a map declaration: the template every inner map matches',
      'Declare it with hash(...), array(...), ...',
    );
  }
  if (inner.inner)
    throw new SchemaError(
      'INVALID_MAP',
      `${path}.inner`,
      'the kernel does not nest maps of maps more than one level',
    );
  return inner;
}

/**
 * The header adds to a counter with __sync_fetch_and_add, which BPF has for
 * 4 and 8 bytes only, at an address aligned to its size: a u8 or u16
 * counter would not compile, a misaligned one (in a packed struct) the
 * verifier refuses.
 */
function checkAtomicCounters(path: string, value: CType<unknown>): void {
  const counters = value.meta.counter
    ? [{ name: 'value', type: value, offset: 0, where: `${path}.value` }]
    : 'flatMembers' in value
      ? (value as unknown as CompositeType<never, unknown>)
          .flatMembers()
          .filter((m) => m.type.meta.counter)
          .map((m) => ({ ...m, where: `${value.label}.${m.name}` }))
      : [];
  for (const { type, offset, where } of counters) {
    if (type.size !== 4 && type.size !== 8)
      throw new SchemaError(
        'INVALID_TYPE',
        where,
        `a counter of ${type.size} byte${type.size === 1 ? '' : 's'}: the header adds to counters atomically, which BPF does on 4 and 8 bytes only`,
        'Use u32 or u64 for a counter, or drop .counter()',
      );
    if (offset % type.size !== 0)
      throw new SchemaError(
        'INVALID_TYPE',
        where,
        `a counter at byte ${offset}, not aligned to its ${type.size} bytes (a packed struct?): the verifier refuses atomic adds there`,
        'Align the counter (drop packed, or reorder the fields)',
      );
  }
}

/** The kernel allows one bpf_spin_lock per value; with two it drops the map's BTF and every layout check with it. */
function checkSpinLocks(path: string, kind: MapKind, value: CType<unknown>): void {
  const locks = countSpinLocks(value);
  if (locks > 0 && !kind.spinLock) {
    throw new SchemaError(
      'INVALID_TYPE',
      `${path}.value`,
      `${value.label} holds a spinLock, which the kernel allows only in hash and array values (a ${kind.name} is refused with EOPNOTSUPP)`,
      'Use a hash or an array for values with a lock, or drop the spinLock',
    );
  }
  if (locks > 1) {
    throw new SchemaError(
      'INVALID_TYPE',
      `${path}.value`,
      `${value.label} holds more than one spinLock; the kernel allows one per value`,
      'Keep a single spinLock',
    );
  }
  // The kernel refuses the BTF of a struct with a lock and a bitfield off a byte boundary, and a lock needs BTF.
  const bitfield = locks === 1 ? unalignedBitfield(value.typeSpec(), value.label) : undefined;
  if (bitfield) {
    throw new SchemaError(
      'INVALID_TYPE',
      `${path}.value`,
      `${value.label} holds a spinLock and a bitfield that does not start on a byte (${bitfield}); the kernel refuses the BTF of such a value, and without BTF it cannot find the lock`,
      'Start every bitfield on a byte (widths of 8, 16, ... before it), or keep the lock in a value of its own',
    );
  }
}

/** The first bitfield, at any depth, whose bit offset is not a multiple of 8: `Flags.level at bit 33`. */
function unalignedBitfield(spec: TypeSpec, path: string, base = 0): string | undefined {
  if (spec.kind === 'array') return unalignedBitfield(spec.element, `${path}[]`);
  if (spec.kind !== 'struct' && spec.kind !== 'union') return undefined;
  for (const m of spec.members) {
    const at = base + m.bitOffset;
    const name = m.name ? `${path}.${m.name}` : path;
    if (m.bits && at % 8 !== 0) return `${name} at bit ${at}`;
    const inner = unalignedBitfield(m.type, name, at);
    if (inner) return inner;
  }
  return undefined;
}

function checkFlags(kind: MapKind, path: string, flags: number): number {
  const at = `${path}.flags`;
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) {
    throw new SchemaError(
      'INVALID_MAP',
      at,
      `flags must be a u32 of BPF_F_* bits (mapFlags), received ${String(flags)}`,
    );
  }
  const unknown = flags & ~KNOWN_FLAGS;
  if (unknown)
    throw new SchemaError(
      'INVALID_MAP',
      at,
      `unknown flag bits 0x${unknown.toString(16)}`,
      'Use mapFlags',
    );
  const refused = flags & ~kind.flags;
  if (refused) {
    throw new SchemaError(
      'INVALID_MAP',
      at,
      `${kind.name} maps do not take ${flagNames(refused)}`,
      `It accepts: ${flagNames(kind.flags)}`,
    );
  }
  const missing = kind.requiredFlags & ~flags;
  if (missing)
    throw new SchemaError(
      'INVALID_MAP',
      at,
      `${kind.name} maps must be created with ${flagNames(missing)}`,
      `Add flags: mapFlags.${flagNames(missing)}`,
    );
  for (const [a, b, why] of [...ACCESS_CONFLICTS, ...kind.conflicts]) {
    if (flags & a && flags & b)
      throw new SchemaError(
        'INVALID_MAP',
        at,
        `${flagNames(a)} and ${flagNames(b)} cannot be combined: ${why}`,
      );
  }
  return flags;
}

const ACCESS_CONFLICTS: readonly (readonly [number, number, string])[] = [
  [mapFlags.rdonly, mapFlags.wronly, 'user space would have no access at all'],
  [mapFlags.rdonlyProg, mapFlags.wronlyProg, 'programs would have no access at all'],
];

/** True for any map declaration (brand check: works across copies of this package). */
export function isMapDecl(value: unknown): value is MapDecl {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[MAP_BRAND] === true
  );
}
