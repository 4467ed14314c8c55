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
/** Per-CPU values live in per-CPU chunks of at most PCPU_MIN_UNIT_SIZE. */
export const MAX_PERCPU_VALUE_SIZE = 32 * 1024;
/** Other values are kmalloc'ed: at most KMALLOC_MAX_SIZE (4 MiB on x86-64) less the element header. */
export const MAX_VALUE_SIZE = 4 * 1024 * 1024 - 1024;

/** map_flags bits (include/uapi/linux/bpf.h). */
export const mapFlags = {
  /** BPF_F_NO_PREALLOC: allocate elements on update (required by LPM tries). */
  noPrealloc: 1 << 0,
  /** BPF_F_NO_COMMON_LRU: per-CPU LRU lists. */
  noCommonLru: 1 << 1,
  /** BPF_F_RDONLY: user space may only read. */
  rdonly: 1 << 3,
  /** BPF_F_WRONLY: user space may only write. */
  wronly: 1 << 4,
  /** BPF_F_RDONLY_PROG: programs may only read. */
  rdonlyProg: 1 << 7,
  /** BPF_F_WRONLY_PROG: programs may only write. */
  wronlyProg: 1 << 8,
  /** BPF_F_MMAPABLE: an array map user space can mmap. */
  mmapable: 1 << 10,
} as const;

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
  /** One value per possible CPU. */
  perCpu: boolean;
  /** Queue, stack and bloom filter maps have values but no keys. */
  keyless: boolean;
}

const kind = (name: string, cType: string, id: number, accessor: string, perCpu = false, keyless = false): MapKind =>
  Object.freeze({ name, cType, id, accessor, perCpu, keyless });

export const HASH = kind('hash', 'BPF_MAP_TYPE_HASH', 1, 'HashMap');
export const ARRAY = kind('array', 'BPF_MAP_TYPE_ARRAY', 2, 'ArrayMap');
export const PERCPU_HASH = kind('percpuHash', 'BPF_MAP_TYPE_PERCPU_HASH', 5, 'PerCpuHashMap', true);
export const PERCPU_ARRAY = kind('percpuArray', 'BPF_MAP_TYPE_PERCPU_ARRAY', 6, 'PerCpuArrayMap', true);
export const LRU_HASH = kind('lruHash', 'BPF_MAP_TYPE_LRU_HASH', 9, 'HashMap');
export const LRU_PERCPU_HASH = kind('lruPercpuHash', 'BPF_MAP_TYPE_LRU_PERCPU_HASH', 10, 'PerCpuHashMap', true);
export const LPM_TRIE = kind('lpmTrie', 'BPF_MAP_TYPE_LPM_TRIE', 11, 'LpmTrieMap');
export const QUEUE = kind('queue', 'BPF_MAP_TYPE_QUEUE', 22, 'QueueMap', false, true);
export const STACK = kind('stack', 'BPF_MAP_TYPE_STACK', 23, 'StackMap', false, true);
export const BLOOM_FILTER = kind('bloomFilter', 'BPF_MAP_TYPE_BLOOM_FILTER', 30, 'BloomFilterMap', false, true);

/** How libbpf pins the map when it loads the object (`__uint(pinning, ...)`). */
export type Pinning = 'none' | 'byName';

/** A kernel map declared in a schema: its name, kind, key and value types. */
export interface MapDecl<K = unknown, V = unknown> {
  readonly [MAP_BRAND]: true;
  /** Name of the map in the kernel and in the C header. */
  readonly name: string;
  readonly kind: MapKind;
  /** The key type; for keyless kinds (queue, stack, bloom filter) a zero-size placeholder is never used. */
  readonly key: CType<K>;
  readonly value: CType<V>;
  readonly maxEntries: number;
  /** `map_flags` at creation (BPF_F_*, see mapFlags). */
  readonly flags: number;
  /** `map_extra`: for a bloom filter, the number of hash functions. */
  readonly extra: number;
  readonly pinning: Pinning;
  readonly doc: string | undefined;
}

interface CommonOptions {
  maxEntries: number;
  flags?: number;
  pinning?: Pinning;
  doc?: string;
}

export interface MapOptions<K, V> extends CommonOptions {
  key: CType<K>;
  value: CType<V>;
}

export interface ArrayOptions<V> extends CommonOptions {
  value: CType<V>;
}

export interface BloomOptions<V> extends ArrayOptions<V> {
  /** Number of hash functions, 1..15 (default 5, as the kernel's). */
  hashes?: number;
}

interface Declared<K, V> {
  key: CType<K>;
  value: CType<V>;
  maxEntries: number;
  flags?: number;
  pinning?: Pinning;
  doc?: string;
  extra?: number;
}

function declare<K, V>(k: MapKind, name: string, options: Declared<K, V>): MapDecl<K, V> {
  const path = `map ${String(name)}`;
  checkIdentifier(name, path, 'map name');
  if (name.length > MAX_MAP_NAME) {
    throw new SchemaError('INVALID_MAP', path, `the name is ${name.length} characters; the kernel keeps at most ${MAX_MAP_NAME}`, 'Shorten the name');
  }
  for (const part of k.keyless ? (['value'] as const) : (['key', 'value'] as const)) {
    const type = options[part];
    if (!isCType(type)) {
      throw new SchemaError('UNKNOWN_TYPE', `${path}.${part}`, `${part} is not a bpfmaps type`, 'Use a struct(...) or a scalar such as u32');
    }
    if (type.anonymous || type.hidden || type.bits !== undefined) {
      throw new SchemaError('INVALID_TYPE', `${path}.${part}`, `${type.label} cannot be a map ${part}`, 'Use a struct, union or scalar');
    }
  }
  if (!k.keyless && options.key.size > MAX_KEY_SIZE) {
    throw new SchemaError('INVALID_SIZE', `${path}.key`, `key ${options.key.label} is ${options.key.size} bytes; the kernel accepts at most ${MAX_KEY_SIZE}`);
  }
  const maxValue = k.perCpu ? MAX_PERCPU_VALUE_SIZE : MAX_VALUE_SIZE;
  if (options.value.size > maxValue) {
    throw new SchemaError('INVALID_SIZE', `${path}.value`, `value ${options.value.label} is ${options.value.size} bytes; a ${k.name} map holds at most ${maxValue}`);
  }
  const { maxEntries } = options;
  if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > 0xffffffff) {
    throw new SchemaError('INVALID_MAP', `${path}.maxEntries`, `maxEntries must be a whole number in 1..4294967295, received ${String(maxEntries)}`);
  }
  const flags = options.flags ?? 0;
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) {
    throw new SchemaError('INVALID_MAP', `${path}.flags`, `flags must be a u32 of BPF_F_* bits, received ${String(flags)}`);
  }
  const pinning = options.pinning ?? 'none';
  if (pinning !== 'none' && pinning !== 'byName') {
    throw new SchemaError('INVALID_MAP', `${path}.pinning`, `pinning must be "none" or "byName", received ${JSON.stringify(pinning)}`);
  }
  return Object.freeze({
    [MAP_BRAND]: true as const,
    name,
    kind: k,
    key: options.key,
    value: options.value,
    maxEntries,
    flags,
    extra: options.extra ?? 0,
    pinning,
    doc: options.doc,
  });
}

/** hash(name, {key, value, maxEntries}) declares a BPF_MAP_TYPE_HASH. */
export function hash<K, V>(name: string, options: MapOptions<K, V>): MapDecl<K, V> {
  return declare(HASH, name, options);
}

/** lruHash(...) declares a BPF_MAP_TYPE_LRU_HASH: when full, an update evicts the least recently used entry. */
export function lruHash<K, V>(name: string, options: MapOptions<K, V>): MapDecl<K, V> {
  return declare(LRU_HASH, name, options);
}

/** percpuHash(...) declares a BPF_MAP_TYPE_PERCPU_HASH: one value per possible CPU. */
export function percpuHash<K, V>(name: string, options: MapOptions<K, V>): MapDecl<K, V> {
  return declare(PERCPU_HASH, name, options);
}

/** lruPercpuHash(...) declares a BPF_MAP_TYPE_LRU_PERCPU_HASH. */
export function lruPercpuHash<K, V>(name: string, options: MapOptions<K, V>): MapDecl<K, V> {
  return declare(LRU_PERCPU_HASH, name, options);
}

/** array(name, {value, maxEntries}) declares a BPF_MAP_TYPE_ARRAY: keys are u32 indexes, every slot exists. */
export function array<V>(name: string, options: ArrayOptions<V>): MapDecl<number, V> {
  return declare(ARRAY, name, { ...options, key: u32 });
}

/** percpuArray(...) declares a BPF_MAP_TYPE_PERCPU_ARRAY: u32 indexes, one value per possible CPU. */
export function percpuArray<V>(name: string, options: ArrayOptions<V>): MapDecl<number, V> {
  return declare(PERCPU_ARRAY, name, { ...options, key: u32 });
}

/**
 * lpmTrie(...) declares a BPF_MAP_TYPE_LPM_TRIE for longest-prefix matches.
 * The key must be a struct whose first field is a u32 prefix length, followed
 * by the data (`{ prefixlen: u32, addr: ipv4 }`); flags must hold noPrealloc.
 */
export function lpmTrie<K, V>(name: string, options: MapOptions<K, V>): MapDecl<K, V> {
  const path = `map ${String(name)}`;
  const key = options.key as CType<unknown> & { members?: readonly { name: string; type: CType<unknown>; offset: number }[] };
  const first = key?.members?.[0];
  if (!first || first.type.label !== 'u32' || first.offset !== 0 || key.size <= 4) {
    throw new SchemaError(
      'INVALID_MAP',
      `${path}.key`,
      'an LPM trie key must be a struct that starts with a u32 prefix length, followed by the data to match',
      'Declare the key as struct("Key", { prefixlen: u32, addr: ipv4 })',
    );
  }
  if (((options.flags ?? 0) & mapFlags.noPrealloc) === 0) {
    throw new SchemaError('INVALID_MAP', `${path}.flags`, 'an LPM trie must be created with BPF_F_NO_PREALLOC', 'Add flags: mapFlags.noPrealloc');
  }
  return declare(LPM_TRIE, name, options);
}

/** queue(name, {value, maxEntries}) declares a BPF_MAP_TYPE_QUEUE (FIFO): push, pop, peek. */
export function queue<V>(name: string, options: ArrayOptions<V>): MapDecl<never, V> {
  return declare(QUEUE, name, { ...options, key: undefined as never });
}

/** stack(name, {value, maxEntries}) declares a BPF_MAP_TYPE_STACK (LIFO): push, pop, peek. */
export function stack<V>(name: string, options: ArrayOptions<V>): MapDecl<never, V> {
  return declare(STACK, name, { ...options, key: undefined as never });
}

/** bloomFilter(name, {value, maxEntries, hashes}) declares a BPF_MAP_TYPE_BLOOM_FILTER: add and has, with false positives. */
export function bloomFilter<V>(name: string, options: BloomOptions<V>): MapDecl<never, V> {
  const hashes = options.hashes ?? 5;
  if (!Number.isInteger(hashes) || hashes < 1 || hashes > 15) {
    throw new SchemaError('INVALID_MAP', `map ${String(name)}.hashes`, `a bloom filter uses 1..15 hash functions, received ${String(hashes)}`);
  }
  return declare(BLOOM_FILTER, name, { ...options, key: undefined as never, extra: hashes });
}

/** True for any map declaration (brand check: works across copies of this package). */
export function isMapDecl(value: unknown): value is MapDecl {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MAP_BRAND] === true;
}
