/**
 * Random schemas for property tests against clang: a plain-data spec tree
 * (what fast-check generates and shrinks), the bpfmaps types built from it,
 * and an independent C rendering of the same structs without any explicit
 * padding, so the compiler lays them out on its own.
 */
import fc from 'fast-check';
import * as s from '../index.js';
import { AnonymousType, BitfieldType, type CType, type CompositeType } from '../index.js';

type Composite = CompositeType<any, unknown>;

const SCALARS = [
  'u8',
  'u16',
  'u32',
  'u64',
  'i8',
  'i16',
  'i32',
  'i64',
  'be16',
  'be32',
  'be64',
  'bool',
  'f32',
  'f64',
  'ipv4',
  'ipv6',
  'mac',
  'u64n',
] as const;
const INTS = ['u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64'] as const;
const ENUM_STORAGE = ['u8', 'u16', 'u32', 'i8', 'i16', 'i32'] as const;

export type Spec =
  | { k: 'scalar'; t: (typeof SCALARS)[number] }
  | { k: 'chars' | 'bytes' | 'pad'; n: number }
  | { k: 'enum'; storage: (typeof ENUM_STORAGE)[number] }
  | { k: 'array'; elem: Spec; n: number }
  | { k: 'bits'; base: (typeof INTS)[number]; width: number }
  | {
      k: 'struct' | 'union' | 'anonUnion' | 'anonStruct';
      fields: Spec[];
      packed: boolean;
      align: number;
    };

const leaf: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SCALARS).map((t) => ({ k: 'scalar' as const, t })) },
  fc.record({
    k: fc.constantFrom('chars' as const, 'bytes' as const),
    n: fc.integer({ min: 2, max: 20 }),
  }),
  fc.record({ k: fc.constant('enum' as const), storage: fc.constantFrom(...ENUM_STORAGE) }),
);

const bitfield: fc.Arbitrary<Spec> = fc.constantFrom(...INTS).chain((base) =>
  fc.record({
    k: fc.constant('bits' as const),
    base: fc.constant(base),
    width: fc.integer({ min: 0, max: Math.min(Number(base.slice(1)), 53) }),
  }),
);

const attrs = { packed: fc.boolean(), align: fc.constantFrom(0, 0, 0, 1, 2, 4, 8, 16) };

/** A tree of at most `depth` nested composites. */
export function schemaSpec(depth = 3): fc.Arbitrary<Spec> {
  const { struct } = fc.letrec<{
    struct: Spec;
    union: Spec;
    member: Spec;
    unionMember: Spec;
    elem: Spec;
  }>((tie) => ({
    elem: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('struct')),
    member: fc.oneof(
      { maxDepth: depth, depthSize: 'small', withCrossShrink: true },
      { weight: 8, arbitrary: leaf },
      { weight: 3, arbitrary: bitfield },
      fc.record({ k: fc.constant('pad' as const), n: fc.integer({ min: 1, max: 5 }) }),
      fc.record({
        k: fc.constant('array' as const),
        elem: tie('elem'),
        n: fc.integer({ min: 1, max: 4 }),
      }),
      tie('struct'),
      tie('union'),
      fc.record({
        k: fc.constant('anonUnion' as const),
        fields: fc.array(tie('unionMember'), { minLength: 1, maxLength: 3 }),
        ...attrs,
      }),
    ),
    unionMember: fc.oneof(
      { maxDepth: depth, depthSize: 'small', withCrossShrink: true },
      { weight: 6, arbitrary: leaf },
      fc.record({
        k: fc.constant('array' as const),
        elem: tie('elem'),
        n: fc.integer({ min: 1, max: 3 }),
      }),
      tie('struct'),
      {
        weight: 3,
        arbitrary: fc.record({
          k: fc.constant('anonStruct' as const),
          fields: fc.array(tie('member'), { minLength: 1, maxLength: 4 }),
          ...attrs,
        }),
      },
    ),
    struct: fc.record({
      k: fc.constant('struct' as const),
      fields: fc.array(tie('member'), { minLength: 1, maxLength: 6 }),
      ...attrs,
    }),
    union: fc.record({
      k: fc.constant('union' as const),
      fields: fc.array(tie('unionMember'), { minLength: 1, maxLength: 4 }),
      ...attrs,
    }),
  }));
  return struct;
}

function scalar(t: (typeof SCALARS)[number]): CType<unknown> {
  if (t === 'u64n') return s.u64.asNumber() as CType<unknown>;
  return s[t] as CType<unknown>;
}

/**
 * Builds the bpfmaps types of a spec. Every field name is unique within its
 * named composite (anonymous members share their parent's names); every
 * named type is unique within the run (`s<run>_<n>`).
 */
export function build(spec: Spec, run: number): Composite {
  let types = 0;
  const composite = (
    sp: Extract<Spec, { fields: Spec[] }>,
    names: { n: number },
  ): CType<unknown> => {
    const fields: Record<string, CType<unknown>> = {};
    for (const f of sp.fields) {
      fields[`f${names.n++}`] = field(f, names, sp.packed);
    }
    const options = { packed: sp.packed, ...(sp.align ? { align: sp.align } : {}) };
    if (sp.k === 'anonUnion') return s.anonymousUnion(fields, options);
    if (sp.k === 'anonStruct') return s.anonymousStruct(fields, options);
    const name = `s${run}_${types++}`;
    return sp.k === 'union'
      ? s.union(name, fields, { ...options, cName: name })
      : s.struct(name, fields, { ...options, cName: name });
  };
  const field = (f: Spec, names: { n: number }, packed: boolean): CType<unknown> => {
    switch (f.k) {
      case 'scalar':
        return scalar(f.t);
      case 'chars':
        return s.chars(f.n);
      case 'bytes':
        return s.bytes(f.n);
      case 'pad':
        return s.pad(f.n);
      case 'enum':
        return s.enumType(`e${run}_${types++}`, { A: 0, B: 1, C: 5 }, { storage: s[f.storage] });
      case 'array':
        return s.arrayOf(field(f.elem, { n: 0 }, false), f.n);
      case 'bits':
        // Zero-width bitfields in packed structs are left out: GCC and clang disagree there.
        return s.bits(s[f.base], packed && f.width === 0 ? 1 : f.width) as CType<unknown>;
      case 'anonUnion':
      case 'anonStruct':
        return composite(f, names);
      case 'struct':
      case 'union':
        return composite(f, { n: 0 });
    }
  };
  return composite(spec as Extract<Spec, { fields: Spec[] }>, { n: 0 }) as Composite;
}

/** Named composites reachable from `root`, dependencies first. */
export function namedIn(root: Composite): Composite[] {
  return declarationsIn(root).filter((d): d is Composite => s.isComposite(d));
}

/** Enums reachable from `root`. */
export function enumsIn(root: Composite): s.EnumType[] {
  return declarationsIn(root).filter((d): d is s.EnumType => s.isEnum(d));
}

function declarationsIn(root: CType<unknown>): CType<unknown>[] {
  const out: CType<unknown>[] = [];
  const visit = (t: CType<unknown>) => {
    for (const child of t.children()) visit(child);
    if (t.declaration() && !out.includes(t)) out.push(t);
  };
  visit(root);
  return out;
}

/** C for one composite as a person would write it: natural members, no explicit padding. */
export function plainC(c: Composite): string {
  const body = (t: Composite, indent: string): string[] =>
    (Object.entries(t.fields) as [string, CType<unknown>][]).flatMap(([name, type]) => {
      if (type instanceof BitfieldType) {
        return [
          `${indent}${type.base.cDeclare(type.width === 0 ? '' : name).trimEnd()} : ${type.width};`,
        ];
      }
      if (type instanceof AnonymousType) {
        const inner = type.inner as Composite;
        return [
          `${indent}${inner.keyword} {`,
          ...body(inner, `${indent}\t`),
          `${indent}}${inner.cAttributes()};`,
        ];
      }
      return [`${indent}${type.cDeclare(name)};`];
    });
  return [`${c.keyword} ${c.cName} {`, ...body(c, '\t'), `}${c.cAttributes()};`].join('\n');
}
