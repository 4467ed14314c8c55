export {
  CType,
  isCType,
  TYPE_BRAND,
  plus,
  PadNames,
  type EncodeSite,
  type DecodeSite,
  type BodySite,
  type FieldMeta,
  type Member,
  type FlatMember,
  type TsField,
  type MemberContext,
  type ReferenceSite,
  type Declaration,
} from './types/base.js';
export {
  IntType,
  BigIntType,
  Int64NumberType,
  u8,
  u16,
  u32,
  u64,
  i8,
  i16,
  i32,
  i64,
  be16,
  be32,
  be64,
  type IntSpec,
} from './types/int.js';
export { BoolType, bool } from './types/bool.js';
export { FloatType, f32, f64 } from './types/float.js';
export { CharsType, chars } from './types/chars.js';
export { BytesType, bytes } from './types/bytes.js';
export { PadType, SpinLockType, pad, spinLock } from './types/pad.js';
export { IPv4Type, AddressBytesType, ipv4, ipv6, mac } from './types/net.js';
export { ArrayType, arrayOf } from './types/array.js';
export { BitfieldType, bits } from './types/bitfield.js';
export { EnumType, enumType, type EnumOptions } from './types/enum.js';
export {
  CompositeType,
  type CompositeOptions,
  type Fields,
  type InferFields,
} from './types/composite.js';
export { StructType, struct, type StructOptions } from './types/struct.js';
export { UnionType, union, type InferUnion } from './types/union.js';
export {
  AnonymousType,
  anonymousStruct,
  anonymousUnion,
  type AnonymousStruct,
  type AnonymousUnion,
} from './types/anonymous.js';
export { commentLines, cComment } from './types/text.js';
export {
  layoutMembers,
  alignUp,
  type Slot,
  type StructLayout,
  type MemberInput,
  type Placement,
  type LayoutOptions,
} from './layout.js';
export * from './maps/index.js';
export { SchemaError, EncodeError, type SchemaErrorCode } from './errors.js';
export { checkIdentifier, snakeCase } from './names.js';
export { encodeReference, decodeReference } from './reference.js';
export type { Infer, InferKey, InferValue } from './infer.js';
export {
  globals,
  isGlobalsDecl,
  GLOBALS_BRAND,
  GLOBAL_SECTIONS,
  type GlobalsDecl,
  type GlobalsSpec,
  type GlobalVariableSpec,
  type GlobalSection,
  type GlobalSectionFacts,
  type GlobalFields,
  type GlobalsOptions,
  type InferGlobals,
} from './globals.js';
export { catalog, isComposite, isEnum, type Catalog } from './catalog.js';
export {
  describeSpec,
  flatMemberSpecs,
  sizeOfSpec,
  type TypeSpec,
  type IntTypeSpec,
  type FloatTypeSpec,
  type PointerTypeSpec,
  type ArrayTypeSpec,
  type CompositeTypeSpec,
  type MemberSpec,
  type EnumTypeSpec,
  type EnumValueSpec,
  type OpaqueTypeSpec,
} from './btf/type-spec.js';
export {
  Btf,
  BtfFormatError,
  BTF_KINDS,
  type BtfKind,
  type BtfType,
  type BtfMember,
} from './btf/parse.js';
export { typeDifferences } from './btf/compare.js';
export {
  elfKind,
  readSection,
  readSections,
  readSymbols,
  type ElfKind,
  type ElfSection,
  type ElfSymbol,
} from './btf/elf.js';
