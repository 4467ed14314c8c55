export { CType, isCType, TYPE_BRAND, plus, type EncodeSite, type DecodeSite, type FieldMeta } from './types/base.js';
export { IntType, BigIntType, Int64NumberType, BoolType, FloatType, u8, u16, u32, u64, i8, i16, i32, i64, be16, be32, be64, bool, f32, f64 } from './types/scalar.js';
export { CharsType, chars } from './types/chars.js';
export { BytesType, PadType, SpinLockType, bytes, pad, spinLock } from './types/bytes.js';
export { IPv4Type, AddressBytesType, ipv4, ipv6, mac } from './types/net.js';
export { ArrayType, arrayOf } from './types/array.js';
export { BitfieldType, bits } from './types/bitfield.js';
export { EnumType, enumType, type EnumOptions } from './types/enum.js';
export { CompositeType, type CompositeOptions, type Fields, type FlatMember, type InferFields, type Member, type BodySite } from './types/composite.js';
export { StructType, struct, anonymousStruct, type AnonymousStruct, type StructOptions } from './types/struct.js';
export { UnionType, union, anonymousUnion, type AnonymousUnion, type InferUnion } from './types/union.js';
export { layoutMembers, alignUp, type Slot, type StructLayout, type MemberInput, type Placement, type LayoutOptions } from './layout.js';
export {
  hash,
  lruHash,
  percpuHash,
  lruPercpuHash,
  array,
  percpuArray,
  lpmTrie,
  queue,
  stack,
  bloomFilter,
  isMapDecl,
  mapFlags,
  MAP_BRAND,
  HASH,
  ARRAY,
  PERCPU_HASH,
  PERCPU_ARRAY,
  LRU_HASH,
  LRU_PERCPU_HASH,
  LPM_TRIE,
  QUEUE,
  STACK,
  BLOOM_FILTER,
  MAX_MAP_NAME,
  MAX_KEY_SIZE,
  MAX_VALUE_SIZE,
  MAX_PERCPU_VALUE_SIZE,
  type MapDecl,
  type MapKind,
  type MapOptions,
  type ArrayOptions,
  type BloomOptions,
  type Pinning,
} from './maps.js';
export { SchemaError, EncodeError, type SchemaErrorCode } from './errors.js';
export { checkIdentifier, snakeCase } from './names.js';
export { encodeReference, decodeReference } from './reference.js';
export type { Infer, InferKey, InferValue } from './infer.js';
export { catalog, isComposite, isEnum, type Catalog } from './catalog.js';
