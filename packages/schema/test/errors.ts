import { SchemaError } from '../src/index.js';

/** The SchemaError `fn` throws (fails the test if it throws anything else, or nothing). */
export function error(fn: () => unknown): SchemaError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SchemaError) return e;
    throw e;
  }
  throw new Error('expected a SchemaError');
}
