import type { ISerialInput, ISerialOutput } from 'typed-binary';
import { SchemaError } from '../errors.js';
import { CType, type DecodeSite, type EncodeSite } from './base.js';
import { BigIntType, IntType } from './scalar.js';

/**
 * A C bitfield `T name : width`. The layout engine places it by bits; the
 * enclosing struct encodes it (bitfields share bytes, so no single member can).
 */
export class BitfieldType extends CType<number> {
  readonly size: number;
  readonly align: number;
  readonly tsType = 'number';
  readonly label: string;
  readonly signed: boolean;

  constructor(
    readonly base: IntType | BigIntType,
    override readonly bits: number,
  ) {
    super();
    this.size = base.size;
    this.align = base.align;
    this.signed = base.spec.signed;
    this.label = `bits(${base.label}, ${bits})`;
  }

  cDeclare(declarator: string): string {
    return `${this.base.cDeclare(declarator)} : ${this.bits}`;
  }

  /** Width checks happen here, where the field's path is known. */
  override validateAt(path: string): void {
    const max = this.base.size * 8;
    if (!Number.isInteger(this.bits) || this.bits < 0 || this.bits > max) {
      throw new SchemaError('INVALID_SIZE', path, `${this.label} is wider than its type: a ${this.base.label} bitfield is 0..${max} bits`, 'Use a wider type or fewer bits');
    }
    if (this.bits > 53) {
      throw new SchemaError('INVALID_SIZE', path, `${this.label}: bitfields wider than 53 bits cannot be exact JS numbers`, 'Use a whole u64 field instead');
    }
  }

  private misuse(): never {
    throw new SchemaError('INVALID_TYPE', this.label, 'a bitfield can only be a direct member of a struct');
  }

  tsEncode(_site: EncodeSite): string[] {
    return this.misuse();
  }

  tsDecode(_site: DecodeSite): string {
    return this.misuse();
  }

  writeChecked(_output: ISerialOutput): void {
    this.misuse();
  }

  readValue(_input: ISerialInput): number {
    return this.misuse();
  }
}

/**
 * bits(u32, 3) is a 3-bit field stored in a u32 allocation unit, laid out as
 * clang does for BPF and x86-64. TS number; signed bases sign-extend. Width 0
 * is C's zero-width separator: the next field starts a new unit.
 */
export function bits(base: IntType | BigIntType, width: number): BitfieldType {
  if (!(base instanceof IntType || base instanceof BigIntType) || base.spec.bigEndian) {
    throw new SchemaError('INVALID_TYPE', `bits(${(base as CType<unknown>)?.label ?? String(base)}, ${width})`, 'a bitfield is stored in a host-order integer', 'Use u8..u64 or i8..i64');
  }
  // The width is checked by the struct that holds the field, which knows its path.
  return new BitfieldType(base, width);
}
