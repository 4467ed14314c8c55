/**
 * Bitfields: `T name : width`. The layout engine places them by bits; each
 * bitfield member encodes and decodes its own bits, ORed into storage its
 * struct zeroes first. Both codecs work least significant bit first, the
 * little-endian bitfield order of BPF and x86-64.
 */
import { bitsValue } from '../codec/primitives.js';
import { SchemaError } from '../errors.js';
import type { FastCheck } from './arbitrary-types.js';
import {
  CType,
  type BodySite,
  type FlatMember,
  type Member,
  type MemberContext,
  type ReferenceSite,
  type TsField,
} from './base.js';
import { BigIntType, IntType } from './int.js';
import { MemberOnlyType } from './member-only.js';
import { cComment, docText } from './text.js';
import type { MemberSpec, TypeSpec } from '../btf/type-spec.js';

/** A C bitfield of `width` bits stored in a unit of `base`'s type. */
export class BitfieldType extends MemberOnlyType<number> {
  // A bitfield has no bytes of its own: its struct encodes it through the member hooks.
  protected readonly memberOnly = 'is a bitfield: it only exists as a direct member of a struct';
  readonly size: number;
  readonly align: number;
  readonly tsType = 'number';
  readonly label: string;
  readonly signed: boolean;

  constructor(
    readonly base: IntType | BigIntType,
    readonly width: number,
  ) {
    super();
    this.size = base.size;
    this.align = base.align;
    this.signed = base.spec.signed;
    this.label = `bits(${base.label}, ${width})`;
  }

  cDeclare(declarator: string): string {
    return `${this.base.cDeclare(declarator)} : ${this.width}`;
  }

  /** Width checks happen here, where the field's path is known. */
  override checkMember(path: string, context: MemberContext): void {
    if (context.container === 'union')
      throw new SchemaError(
        'INVALID_TYPE',
        path,
        'a union cannot hold a bitfield',
        'Wrap it in an anonymous struct',
      );
    const max = this.base.size * 8;
    if (!Number.isInteger(this.width) || this.width < 0 || this.width > max) {
      throw new SchemaError(
        'INVALID_SIZE',
        path,
        `${this.label} is wider than its type: a ${this.base.label} bitfield is 0..${max} bits`,
        'Use a wider type or fewer bits',
      );
    }
    if (this.width > 53) {
      throw new SchemaError(
        'INVALID_SIZE',
        path,
        `${this.label}: bitfields wider than 53 bits cannot be exact JS numbers`,
        'Use a whole u64 field instead',
      );
    }
  }

  override layoutInput(name: string) {
    return { name, size: this.size, align: this.align, bits: this.width };
  }

  /** A zero-width bitfield only moves the next one to a new unit: it has no value. */
  override memberNames(name: string): string[] {
    return this.width === 0 ? [] : [name];
  }

  // A zero-width bitfield is C's separator: no value, no bits, no BTF member; only its C line.
  override flatten(m: Member, base: number, optional: boolean): FlatMember[] {
    if (this.width === 0) return [];
    return [
      {
        name: m.name,
        type: this,
        offset: base + m.offset,
        bitOffset: base * 8 + m.bitOffset!,
        bits: m.bits!,
        optional,
      },
    ];
  }

  override memberSpecs(m: Member): MemberSpec[] {
    if (this.width === 0) return [];
    return [{ name: m.name, bitOffset: m.bitOffset!, bits: m.bits!, type: this.typeSpec() }];
  }

  typeSpec(): TypeSpec {
    return this.base.typeSpec();
  }

  override tsFields(m: FlatMember): TsField[] {
    const where = `\`${this.cDeclare(m.name)}\` at bit ${m.bitOffset}`;
    return [
      { name: m.name, type: 'number', optional: m.optional, doc: docText(this.meta.doc, where) },
    ];
  }

  override cMember(m: Member): string[] {
    if (this.width === 0)
      return [`${this.base.cDeclare('').trimEnd()} : 0; /* next bitfield at bit ${m.bitOffset} */`];
    const last = m.bitOffset! + m.bits! - 1;
    return [
      ...cComment(this.meta.doc),
      `${this.cDeclare(m.name)}; /* bits ${m.bitOffset}..${last} */`,
    ];
  }

  override encodeMember(m: Member, site: BodySite): string[] {
    if (this.width === 0) return [];
    const value = `c.bitsValue(${site.value}.${m.name}, ${m.bits}, ${this.signed}, ${site.path}, '${m.name}')`;
    return [`c.setBits(v, ${site.offset}, ${m.bitOffset}, ${m.bits}, ${value});`];
  }

  override decodeMember(m: Member, offset: string): string[] {
    if (this.width === 0) return [];
    return [`${m.name}: c.getBits(v, ${offset}, ${m.bitOffset}, ${m.bits}, ${this.signed}),`];
  }

  /** Reference write: sets the bits one at a time. */
  override writeMember(m: Member, site: ReferenceSite): void {
    if (this.width === 0) return;
    const width = m.bits!;
    let v = bitsValue(site.value[m.name], width, this.signed, site.path, m.name);
    if (v < 0) v += 2 ** width;
    for (let k = 0; k < width; k++) {
      const bit = m.bitOffset! + k;
      if (Math.floor(v / 2 ** k) % 2 === 1) site.bytes[bit >> 3]! |= 1 << (bit & 7);
    }
  }

  /** Reference read: bit by bit, independent of the generated code's byte-wise getBits. */
  override readMember(m: Member, site: ReferenceSite): void {
    if (this.width === 0) return;
    const width = m.bits!;
    let v = 0;
    for (let k = width - 1; k >= 0; k--) {
      const bit = m.bitOffset! + k;
      v = v * 2 + ((site.bytes[bit >> 3]! >> (bit & 7)) & 1);
    }
    site.value[m.name] = this.signed && v >= 2 ** (width - 1) ? v - 2 ** width : v;
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    const w = this.width;
    return this.signed
      ? fc.integer({ min: -(2 ** (w - 1)), max: 2 ** (w - 1) - 1 })
      : fc.integer({ min: 0, max: 2 ** w - 1 });
  }
}

/**
 * bits(u32, 3) is a 3-bit field stored in a u32 allocation unit, laid out as
 * clang does for BPF and x86-64. TS number; signed bases sign-extend. Width 0
 * is C's zero-width separator: the next field starts a new unit.
 */
export function bits(base: IntType | BigIntType, width: number): BitfieldType {
  if (!(base instanceof IntType || base instanceof BigIntType) || base.spec.bigEndian) {
    const label = (base as Partial<CType<unknown>> | undefined)?.label ?? String(base);
    throw new SchemaError(
      'INVALID_TYPE',
      `bits(${label}, ${width})`,
      'a bitfield is stored in a host-order integer',
      'Use u8..u64 or i8..i64',
    );
  }
  // The width is checked by the struct that holds the field, which knows its path.
  return new BitfieldType(base, width);
}
