/**
 * Anonymous members: `union { ... };` inside a struct, `struct { ... };`
 * inside a union. The wrapper answers the member hooks by inlining the inner
 * composite: its members belong to the enclosing value, in C and in TS, and
 * share the enclosing C scope (so its padding takes names from the parent's).
 */
import { SchemaError } from '../errors.js';
import type { FastCheck } from './arbitrary-types.js';
import {
  CType,
  plus,
  type BodySite,
  type FlatMember,
  type Member,
  type MemberContext,
  type PadNames,
  type ReferenceSite,
} from './base.js';
import {
  checkComposite,
  type CompositeOptions,
  type CompositeType,
  type Fields,
} from './composite.js';
import { StructType } from './struct.js';
import { MemberOnlyType } from './member-only.js';
import { cComment } from './text.js';
import type { MemberSpec, TypeSpec } from '../btf/type-spec.js';
import { UnionType, type InferUnion } from './union.js';
import type { InferFields } from './composite.js';

/** An anonymous struct or union member wrapping the unnamed composite `inner`. */
export class AnonymousType<C extends CompositeType<Fields, unknown>, T> extends MemberOnlyType<T> {
  protected readonly memberOnly =
    'only exists inside a struct or union: use a named struct(...) or union(...)';
  readonly '~inline' = true as const;
  readonly size: number;
  readonly align: number;
  readonly tsType: string;
  readonly label: string;

  constructor(readonly inner: C) {
    super();
    this.size = inner.size;
    this.align = inner.align;
    this.tsType = inner.tsType;
    this.label = `(anonymous ${inner.keyword})`;
  }

  override children(): readonly CType<unknown>[] {
    return this.inner.children();
  }

  override checkMember(path: string, context: MemberContext): void {
    if (context.container === 'union' && this.inner.tsNames().length === 0) {
      throw new SchemaError(
        'INVALID_TYPE',
        path,
        'a union member made only of padding can never be the one set',
        'Give it a field that holds data',
      );
    }
    const insideUnion = context.insideUnion || this.inner.keyword === 'union';
    for (const m of this.inner.members)
      m.type.checkMember(`${path}.${m.name}`, { container: this.inner.keyword, insideUnion });
  }

  override memberNames(): string[] {
    return this.inner.tsNames();
  }

  override flatten(m: Member, base: number, optional: boolean): FlatMember[] {
    return this.inner.flatMembers(base + m.offset, optional);
  }

  /** BTF lists it as a member without a name, of an unnamed struct or union. */
  override memberSpecs(m: Member): MemberSpec[] {
    return [{ name: '', bitOffset: m.offset * 8, bits: 0, type: this.typeSpec() }];
  }

  typeSpec(): TypeSpec {
    return this.inner.typeSpec();
  }

  override cMember(_m: Member, pads: PadNames): string[] {
    const body = this.inner.cBody(pads).map((line) => `\t${line}`);
    return [
      ...cComment(this.meta.doc),
      `${this.inner.keyword} {`,
      ...body,
      `}${this.inner.cAttributes()};`,
    ];
  }

  override encodeMember(m: Member, site: BodySite): string[] {
    return this.inner.tsEncodeInline({
      ...site,
      offset: plus(site.offset, m.offset),
      depth: site.depth + 1,
    });
  }

  override decodeMember(m: Member, offset: string): string[] {
    return this.inner.tsDecodeEntries(plus(offset, m.offset));
  }

  override writeMember(m: Member, site: ReferenceSite): void {
    this.inner.writeMembers({
      ...site,
      bytes: site.bytes.subarray(m.offset, m.offset + this.size),
    });
  }

  override readMember(m: Member, site: ReferenceSite): void {
    this.inner.readMembers({ ...site, bytes: site.bytes.subarray(m.offset, m.offset + this.size) });
  }

  override memberArbitrary(_m: Member, fc: FastCheck) {
    return this.inner.arbitrary(fc) as ReturnType<CType<unknown>['memberArbitrary']>;
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    return this.inner.arbitrary(fc);
  }

  // Never a value of its own, nor a C declarator: its composite spells it through cMember.
  cDeclare(): string {
    return this.misuse();
  }
}

/** An anonymous struct (inside a union): its members belong to the enclosing value. */
export type AnonymousStruct<F extends Fields> = AnonymousType<StructType<F>, InferFields<F>>;
/** An anonymous union (inside a struct): its members belong to the enclosing value. */
export type AnonymousUnion<F extends Fields> = AnonymousType<UnionType<F>, InferUnion<F>>;

/** anonymousStruct(fields): C `struct { ... };` with no name, its members inlined into the parent. */
export function anonymousStruct<F extends Fields>(
  fields: F,
  options: Omit<CompositeOptions, 'cName'> = {},
): AnonymousStruct<F> {
  checkComposite('struct', '(anonymous struct)', fields, options, false);
  return new AnonymousType(new StructType('(anonymous struct)', fields, options, false));
}

/** anonymousUnion(fields): C `union { ... };` with no name, its members inlined into the parent. */
export function anonymousUnion<F extends Fields>(
  fields: F,
  options: Omit<CompositeOptions, 'cName'> = {},
): AnonymousUnion<F> {
  checkComposite('union', '(anonymous union)', fields, options, false);
  return new AnonymousType(new UnionType('(anonymous union)', fields, options, false));
}
