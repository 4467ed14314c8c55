import type { ByteInput, ByteOutput } from './serial.js';
import { arr } from '../codec/primitives.js';
import { SchemaError } from '../errors.js';
import type { FastCheck } from './arbitrary-types.js';
import {
  CType,
  isCType,
  plus,
  type DecodeSite,
  type EncodeSite,
  type MemberContext,
} from './base.js';
import type { TypeSpec } from '../btf/type-spec.js';

/** Arrays up to this length decode as an array literal; longer ones as a loop. */
const UNROLL_LIMIT = 16;

/** C fixed array `T name[N]`: TS `T[]` of exactly N elements. */
export class ArrayType<E> extends CType<E[]> {
  readonly size: number;
  readonly align: number;
  readonly tsType: string;
  readonly label: string;

  constructor(
    readonly element: CType<E>,
    readonly length: number,
  ) {
    super();
    this.size = element.size * length;
    this.align = element.align;
    this.tsType = /[ |&]/.test(element.tsType) ? `(${element.tsType})[]` : `${element.tsType}[]`;
    this.label = `arrayOf(${element.label}, ${length})`;
  }

  cDeclare(declarator: string): string {
    return this.element.cDeclare(`${declarator}[${this.length}]`);
  }

  typeSpec(): TypeSpec {
    return { kind: 'array', element: this.element.typeSpec(), count: this.length };
  }

  override children(): readonly CType<unknown>[] {
    return [this.element];
  }

  override elementSize(): number {
    return this.element.size;
  }

  override checkMember(path: string, context: MemberContext): void {
    this.element.checkMember(`${path}[]`, context);
  }

  tsEncode(site: EncodeSite): string[] {
    const i = `i${site.depth}`;
    // An array inside an array names its elements `field[i0][i1]`.
    const field = site.index ? `${site.field} + '[' + ${site.index} + ']'` : site.field;
    const inner = this.element.tsEncode({
      view: site.view,
      offset: `${site.offset} + ${i} * ${this.element.size}`,
      value: `${site.value}[${i}]!`,
      path: site.path,
      field,
      index: i,
      depth: site.depth + 1,
    });
    return [
      `c.arr(${site.value}, ${this.length}, ${site.path}, ${site.field}${site.index ? `, ${site.index}` : ''});`,
      `for (let ${i} = 0; ${i} < ${this.length}; ${i}++) {`,
      ...inner.map((line) => `  ${line}`),
      '}',
    ];
  }

  tsDecode(site: DecodeSite): string {
    const { element } = this;
    if (this.length <= UNROLL_LIMIT) {
      const items = Array.from({ length: this.length }, (_, k) =>
        element.tsDecode({
          view: site.view,
          offset: plus(site.offset, k * element.size),
          depth: site.depth + 1,
        }),
      );
      return `[${items.join(', ')}]`;
    }
    const i = `i${site.depth}`;
    const item = element.tsDecode({
      view: site.view,
      offset: `${site.offset} + ${i} * ${element.size}`,
      depth: site.depth + 1,
    });
    return `Array.from({ length: ${this.length} }, (_, ${i}) => ${item})`;
  }

  writeChecked(output: ByteOutput, value: E[], path: string, field: string, index?: number): void {
    arr(value, this.length, path, field, index);
    const name = index === undefined ? field : `${field}[${index}]`;
    for (let k = 0; k < this.length; k++)
      this.element.writeChecked(output, value[k] as E, path, name, k);
  }

  readValue(input: ByteInput): E[] {
    return Array.from({ length: this.length }, () => this.element.readValue(input));
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    return fc.array(this.element.arbitrary(fc), { minLength: this.length, maxLength: this.length });
  }
}

/** arrayOf(T, N) is a C fixed array `T name[N]`, decoded to a TS array of N elements. */
export function arrayOf<E>(element: CType<E>, length: number): ArrayType<E> {
  const label = `arrayOf(${isCType(element) ? element.label : '?'}, ${length})`;
  if (!isCType(element)) {
    throw new SchemaError(
      'UNKNOWN_TYPE',
      label,
      `the element type is not a bpfmaps type (received ${typeof element})`,
    );
  }
  element.checkStandalone(label);
  if (!Number.isInteger(length) || length < 1) {
    throw new SchemaError('INVALID_SIZE', label, 'an array needs a whole length of at least 1');
  }
  return new ArrayType(element, length);
}
