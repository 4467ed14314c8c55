import type { CType } from '../types/base.js';
import { declareMap, type CommonOptions, type MapDecl } from './decl.js';
import { ACCESS_FLAGS, mapFlags } from './flags.js';
import { defineKind } from './kind.js';

export interface MapOptions<K, V> extends CommonOptions {
  key: CType<K>;
  value: CType<V>;
}

const ALL_BATCH = { lookup: true, update: true, delete: true, lookupAndDelete: true };
const KEYED_HELPERS = ['lookup', 'update', 'delete', 'lookup-or-init'];

export const HASH = defineKind({
  name: 'hash',
  cType: 'BPF_MAP_TYPE_HASH',
  id: 1,
  accessor: 'HashMap',
  helpers: KEYED_HELPERS,
  counterAdd: 'add-atomic',
  batch: ALL_BATCH,
  canBeInner: true,
  btfTypes: true,
  kernelOps: true,
  spinLock: true,
  flags: mapFlags.noPrealloc | mapFlags.zeroSeed | ACCESS_FLAGS,
});

export const LRU_HASH = defineKind({
  ...HASH,
  name: 'lruHash',
  cType: 'BPF_MAP_TYPE_LRU_HASH',
  id: 9,
  spinLock: false,
  // LRU maps are always preallocated (BPF_F_NO_PREALLOC is ENOTSUPP).
  flags: mapFlags.noCommonLru | mapFlags.zeroSeed | ACCESS_FLAGS,
});

export const PERCPU_HASH = defineKind({
  ...HASH,
  name: 'percpuHash',
  cType: 'BPF_MAP_TYPE_PERCPU_HASH',
  id: 5,
  accessor: 'PerCpuHashMap',
  perCpu: true,
  kernelOps: false,
  spinLock: false,
  counterAdd: 'add-plain',
});

export const LRU_PERCPU_HASH = defineKind({
  ...PERCPU_HASH,
  name: 'lruPercpuHash',
  cType: 'BPF_MAP_TYPE_LRU_PERCPU_HASH',
  id: 10,
  flags: LRU_HASH.flags,
});

/** hash(name, {key, value, maxEntries}) declares a BPF_MAP_TYPE_HASH. */
export function hash<K, V>(name: string, options: MapOptions<K, V>): MapDecl<K, V, 'hash'> {
  return declareMap(HASH, name, options);
}

/** lruHash(...) declares a BPF_MAP_TYPE_LRU_HASH: when full, an update evicts the least recently used entry. */
export function lruHash<K, V>(name: string, options: MapOptions<K, V>): MapDecl<K, V, 'lruHash'> {
  return declareMap(LRU_HASH, name, options);
}

/** percpuHash(...) declares a BPF_MAP_TYPE_PERCPU_HASH: one value per possible CPU. */
export function percpuHash<K, V>(
  name: string,
  options: MapOptions<K, V>,
): MapDecl<K, V, 'percpuHash'> {
  return declareMap(PERCPU_HASH, name, options);
}

/** lruPercpuHash(...) declares a BPF_MAP_TYPE_LRU_PERCPU_HASH. */
export function lruPercpuHash<K, V>(
  name: string,
  options: MapOptions<K, V>,
): MapDecl<K, V, 'lruPercpuHash'> {
  return declareMap(LRU_PERCPU_HASH, name, options);
}
