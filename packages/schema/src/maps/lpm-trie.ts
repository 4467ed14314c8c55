import { SchemaError } from '../errors.js';
import type { CType } from '../types/base.js';
import { declareMap, type MapDecl } from './decl.js';
import { ACCESS_FLAGS, mapFlags } from './flags.js';
import type { MapOptions } from './hash.js';
import { defineKind } from './kind.js';

export const LPM_TRIE = defineKind({
  name: 'lpmTrie',
  cType: 'BPF_MAP_TYPE_LPM_TRIE',
  id: 11,
  accessor: 'LpmTrieMap',
  helpers: ['lookup', 'update', 'delete'],
  counterAdd: 'add-atomic',
  exactLookup: false,
  canBeInner: true,
  btfTypes: true,
  flags: mapFlags.noPrealloc | ACCESS_FLAGS,
  requiredFlags: mapFlags.noPrealloc,
});

/**
 * lpmTrie(...) declares a BPF_MAP_TYPE_LPM_TRIE for longest-prefix matches.
 * The key must be a struct whose first field is a u32 prefix length, followed
 * by the data (`{ prefixlen: u32, addr: ipv4 }`); flags must hold noPrealloc.
 */
export function lpmTrie<K, V>(name: string, options: MapOptions<K, V>): MapDecl<K, V, 'lpmTrie'> {
  const key = options?.key as
    | (CType<unknown> & { members?: readonly { type: CType<unknown>; offset: number }[] })
    | undefined;
  const first = key?.members?.[0];
  if (!first || first.type.label !== 'u32' || first.offset !== 0 || key!.size <= 4) {
    throw new SchemaError(
      'INVALID_MAP',
      `map ${String(name)}.key`,
      'an LPM trie key must be a struct that starts with a u32 prefix length, followed by the data to match',
      'Declare the key as struct("Key", { prefixlen: u32, addr: ipv4 })',
    );
  }
  return declareMap(LPM_TRIE, name, options);
}
