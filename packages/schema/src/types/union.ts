import type { ISerialOutput } from 'typed-binary';
import { pick } from '../codec/primitives.js';
import { checkComposite, CompositeType, type BodySite, type CompositeOptions, type Fields, type InferFields, type Member } from './composite.js';

/** The TS value of a union: every member optional; encoding needs exactly one, decoding gives all. */
export type InferUnion<F extends Fields> = Partial<InferFields<F>>;

/** A C union: members share storage at offset 0; the size is the largest member's, aligned. */
export class UnionType<F extends Fields = Fields> extends CompositeType<F, InferUnion<F>> {
  readonly keyword = 'union' as const;

  constructor(name: string, fields: F, options: CompositeOptions = {}, anonymous = false) {
    super(name, fields, options, true, anonymous);
  }

  /** For each member, the TS names that select it: its own, or an anonymous struct's. */
  groups(): string[][] {
    return this.members.map((m) =>
      m.type.anonymous ? (m.type as unknown as CompositeType<Fields, unknown>).tsNames() : m.type.hidden ? [] : [m.name],
    );
  }

  tsEncodeBody(site: BodySite): string[] {
    const k = `k${site.depth}`;
    const lines = [`c.zero(v, ${site.offset}, ${this.size});`, `const ${k} = c.pick(${site.value}, ${JSON.stringify(this.groups())}, ${site.path});`];
    this.members.forEach((m, i) => {
      lines.push(`${i === 0 ? '' : '} else '}if (${k} === ${i}) {`, ...this.memberEncode(m, site).map((l) => `  ${l}`));
    });
    lines.push('}');
    // A block, so sibling anonymous unions can each declare their own selector.
    return this.anonymous ? ['{', ...lines.map((l) => `  ${l}`), '}'] : lines;
  }

  writeMembers(output: ISerialOutput, start: number, value: Record<string, unknown>, path: string): void {
    const chosen = pick(value, this.groups(), path);
    output.seekTo(start);
    for (let i = 0; i < this.size; i++) output.writeUint8(0);
    this.writeMember(output, start, this.members[chosen] as Member, value, path);
  }
}

/**
 * union(name, fields, options) declares a C union. Encoding writes the one
 * member that is set (and zeros the rest); decoding reads every member.
 */
export function union<F extends Fields>(name: string, fields: F, options: CompositeOptions = {}): UnionType<F> {
  checkComposite('union', name, fields, options, false);
  return new UnionType(name, fields, options);
}

/** An anonymous union (inside a struct): its members belong to the enclosing value. */
export type AnonymousUnion<F extends Fields> = UnionType<F> & { readonly anonymous: true };

/** anonymousUnion(fields): C `union { ... };` with no name, its members inlined into the parent. */
export function anonymousUnion<F extends Fields>(fields: F, options: Omit<CompositeOptions, 'cName'> = {}): AnonymousUnion<F> {
  checkComposite('union', '(anonymous union)', fields, options, true);
  return new UnionType('(anonymous union)', fields, options, true) as AnonymousUnion<F>;
}
