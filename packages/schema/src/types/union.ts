import { pick } from '../codec/primitives.js';
import type { FastCheck } from './arbitrary-types.js';
import { PadNames, type BodySite, type ReferenceSite } from './base.js';
import {
  checkComposite,
  CompositeType,
  type CompositeOptions,
  type Fields,
  type InferFields,
} from './composite.js';

/** The TS value of a union: every member optional; encoding needs exactly one, decoding gives all. */
export type InferUnion<F extends Fields> = Partial<InferFields<F>>;

/** A C union: members share storage at offset 0; the size is the largest member's, aligned. */
export class UnionType<F extends Fields = Fields> extends CompositeType<F, InferUnion<F>> {
  readonly keyword = 'union' as const;

  constructor(name: string, fields: F, options: CompositeOptions = {}, named = true) {
    super(name, fields, options, true, named);
  }

  /** For each member, the TS names that select it: its own, or an anonymous struct's. */
  groups(): string[][] {
    return this.members.map((m) => m.type.memberNames(m.name));
  }

  cBody(pads = new PadNames()): string[] {
    return this.members.flatMap((m) => m.type.cMember(m, pads));
  }

  tsEncodeBody(site: BodySite): string[] {
    const k = `k${site.depth}`;
    const lines = [
      `c.zero(v, ${site.offset}, ${this.size});`,
      `const ${k} = c.pick(${site.value}, ${JSON.stringify(this.groups())}, ${site.path});`,
    ];
    const member = { ...site, optional: true };
    this.members.forEach((m, i) => {
      lines.push(
        `${i === 0 ? '' : '} else '}if (${k} === ${i}) {`,
        ...m.type.encodeMember(m, member).map((l) => `  ${l}`),
      );
    });
    lines.push('}');
    return lines;
  }

  /** A block, so sibling anonymous unions each declare their own selector. */
  override tsEncodeInline(site: BodySite): string[] {
    return ['{', ...this.tsEncodeBody(site).map((l) => `  ${l}`), '}'];
  }

  writeMembers(site: ReferenceSite): void {
    const m = this.members[pick(site.value, this.groups(), site.path)]!;
    m.type.writeMember(m, site);
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    return fc.oneof(...this.memberArbitraries(fc));
  }
}

/**
 * union(name, fields, options) declares a C union. Encoding writes the one
 * member that is set (and zeros the rest); decoding reads every member.
 */
export function union<F extends Fields>(
  name: string,
  fields: F,
  options: CompositeOptions = {},
): UnionType<F> {
  checkComposite('union', name, fields, options, true);
  return new UnionType(name, fields, options);
}
