/**
 * The slice of fast-check that types use to describe their random values.
 * fast-check is an optional peer dependency: types receive it as an
 * argument, and these structural types keep it out of our declarations.
 */

export interface Arbitrary<T> {
  map<U>(fn: (value: T) => U): Arbitrary<U>;
  filter(predicate: (value: T) => boolean): Arbitrary<T>;
}

export interface FastCheck {
  integer(constraints: { min: number; max: number }): Arbitrary<number>;
  bigInt(constraints: { min: bigint; max: bigint }): Arbitrary<bigint>;
  boolean(): Arbitrary<boolean>;
  float(constraints?: { noDefaultInfinity?: boolean; noNaN?: boolean }): Arbitrary<number>;
  double(constraints?: { noDefaultInfinity?: boolean; noNaN?: boolean }): Arbitrary<number>;
  string(constraints: { unit: 'grapheme'; maxLength: number }): Arbitrary<string>;
  ipV4(): Arbitrary<string>;
  uint8Array(constraints: { minLength: number; maxLength: number }): Arbitrary<Uint8Array>;
  constant<T>(value: T): Arbitrary<T>;
  constantFrom<T>(...values: T[]): Arbitrary<T>;
  oneof(...arbitraries: Arbitrary<unknown>[]): Arbitrary<unknown>;
  array<T>(
    arbitrary: Arbitrary<T>,
    constraints: { minLength: number; maxLength: number },
  ): Arbitrary<T[]>;
  tuple(...arbitraries: Arbitrary<unknown>[]): Arbitrary<unknown[]>;
}
