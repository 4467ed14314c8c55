/**
 * Random valid values of any bpfmaps type, for property tests of codecs (ours,
 * and users' own). Needs fast-check. Each type describes its own values.
 */
import fc from 'fast-check';
import type { CType } from '../types/base.js';
import type { FastCheck } from '../types/arbitrary-types.js';

export function arbitraryOf<T>(type: CType<T>): fc.Arbitrary<T> {
  return type.arbitrary(fc as unknown as FastCheck) as unknown as fc.Arbitrary<T>;
}

export {
  schemaSpec,
  build as buildSchema,
  namedIn,
  enumsIn,
  plainC,
  type Spec as SchemaSpec,
} from './random-schemas.js';
