import { SchemaError } from '../errors.js';
import type { ArrayOptions } from './array.js';
import { declareMap, type MapDecl } from './decl.js';
import { ACCESS_FLAGS, mapFlags } from './flags.js';
import { defineKind } from './kind.js';

export interface BloomOptions<V> extends ArrayOptions<V> {
  /** Number of hash functions, 1..15 (default 5, as the kernel's). */
  hashes?: number;
}

export const BLOOM_FILTER = defineKind({
  name: 'bloomFilter',
  cType: 'BPF_MAP_TYPE_BLOOM_FILTER',
  id: 30,
  parts: ['value'],
  accessor: 'BloomFilterMap',
  btfTypes: true,
  // A bloom filter takes push (add) and peek (maybe present) only: pop is refused by the verifier.
  helpers: ['bloom-push', 'bloom-peek'],
  flags: mapFlags.zeroSeed | ACCESS_FLAGS,
});

/** bloomFilter(name, {value, maxEntries, hashes}) declares a BPF_MAP_TYPE_BLOOM_FILTER: add and has, with false positives. */
export function bloomFilter<V>(
  name: string,
  options: BloomOptions<V>,
): MapDecl<never, V, 'bloomFilter'> {
  const hashes = options?.hashes ?? 5;
  if (!Number.isInteger(hashes) || hashes < 1 || hashes > 15) {
    throw new SchemaError(
      'INVALID_MAP',
      `map ${String(name)}.hashes`,
      `a bloom filter uses 1..15 hash functions, received ${String(hashes)}`,
    );
  }
  return declareMap(BLOOM_FILTER, name, { ...options, extra: hashes });
}
