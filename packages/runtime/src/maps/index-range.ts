import { BpfError } from '../errors.js';

/**
 * The error for an index at or past the end of an array kind (array, per-CPU
 * array, program array, array of maps, mapped array): the same for every
 * operation, naming the map, the index and the size. The kernel would
 * answer get and has with ENOENT (as if the element were merely absent) and
 * set with E2BIG; an array's elements always exist, so neither is the truth.
 */
export function outOfRange(op: string, map: string, index: number, size: number): BpfError {
  return new BpfError({
    code: 'OUT_OF_RANGE',
    op,
    target: map,
    key: index,
    detail: `index ${index} is out of range: ${map} has ${size} entries, 0..${size - 1}`,
  });
}

/** Throws OUT_OF_RANGE unless `index` (a u32 its codec checked) is below `size`. */
export function checkIndex(op: string, map: string, index: number, size: number): void {
  if (index < size) return;
  throw outOfRange(op, map, index, size);
}
