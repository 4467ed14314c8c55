import type { CType } from '../types/base.js';
import { u32 } from '../types/int.js';
import { declareMap, type CommonOptions, type MapDecl } from './decl.js';
import { ACCESS_FLAGS, mapFlags } from './flags.js';
import { defineKind } from './kind.js';

export interface ArrayOptions<V> extends CommonOptions {
  value: CType<V>;
}

const ARRAY_BATCH = { lookup: true, update: true, delete: false, lookupAndDelete: false };

export const ARRAY = defineKind({
  name: 'array',
  cType: 'BPF_MAP_TYPE_ARRAY',
  id: 2,
  accessor: 'ArrayMap',
  accessorArgs: ['value'],
  fixedKeys: true,
  canBeInner: true,
  btfTypes: true,
  kernelOps: true,
  spinLock: true,
  helpers: ['lookup', 'update'],
  counterAdd: 'add-atomic',
  batch: ARRAY_BATCH,
  flags: mapFlags.mmapable | mapFlags.innerMap | ACCESS_FLAGS,
});

export const PERCPU_ARRAY = defineKind({
  ...ARRAY,
  name: 'percpuArray',
  cType: 'BPF_MAP_TYPE_PERCPU_ARRAY',
  id: 6,
  accessor: 'PerCpuArrayMap',
  perCpu: true,
  kernelOps: false,
  spinLock: false,
  counterAdd: 'add-plain',
  // Per-CPU copies cannot be mapped into one address range.
  flags: mapFlags.innerMap | ACCESS_FLAGS,
});

/** array(name, {value, maxEntries}) declares a BPF_MAP_TYPE_ARRAY: keys are u32 indexes, every slot exists. */
export function array<V>(name: string, options: ArrayOptions<V>): MapDecl<number, V, 'array'> {
  return declareMap(ARRAY, name, { ...options, key: u32 });
}

/** percpuArray(...) declares a BPF_MAP_TYPE_PERCPU_ARRAY: u32 indexes, one value per possible CPU. */
export function percpuArray<V>(
  name: string,
  options: ArrayOptions<V>,
): MapDecl<number, V, 'percpuArray'> {
  return declareMap(PERCPU_ARRAY, name, { ...options, key: u32 });
}
