/**
 * Program arrays: u32 index -> program, for tail calls. User space stores
 * programs by fd and reads back their ids; kernel programs jump with
 * bpf_tail_call(ctx, &map, index).
 */
import { u32 } from '../types/int.js';
import { declareMap, type CommonOptions, type MapDecl } from './decl.js';
import { mapFlags } from './flags.js';
import { defineKind, definitionHead } from './kind.js';

export const PROG_ARRAY = defineKind({
  name: 'progArray',
  cType: 'BPF_MAP_TYPE_PROG_ARRAY',
  id: 3,
  accessor: 'ProgramArrayMap',
  accessorArgs: [],
  fixedKeys: true,
  helpers: ['tail-call'],
  // Programs never read or write the slots directly, so the program access flags are refused.
  flags: mapFlags.rdonly | mapFlags.wronly,
  // The kernel refuses BTF for program arrays: sizes, not types.
  definition: (decl) => [
    ...definitionHead(decl),
    '__uint(key_size, sizeof(__u32));',
    '__uint(value_size, sizeof(__u32));',
  ],
});

/** progArray(name, {maxEntries}) declares a BPF_MAP_TYPE_PROG_ARRAY of programs to tail-call by index. */
export function progArray(
  name: string,
  options: CommonOptions,
): MapDecl<number, number, 'progArray'> {
  return declareMap(PROG_ARRAY, name, { ...options, key: u32, value: u32 });
}
