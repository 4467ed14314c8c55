import type { ByteInput, ByteOutput } from './serial.js';
import { enumName, enumValue } from '../codec/primitives.js';
import { SchemaError } from '../errors.js';
import { checkIdentifier, snakeCase } from '../names.js';
import type { FastCheck } from './arbitrary-types.js';
import { CType, type Declaration, type DecodeSite, type EncodeSite } from './base.js';
import { IntType, u32 } from './int.js';
import { checkArgs } from './int.js';
import type { TypeSpec } from '../btf/type-spec.js';

export interface EnumOptions {
  /** The integer type that stores the enum in structs (default u32, as C's int). */
  storage?: IntType;
  /** The C enum tag; defaults to the snake_case of the name. */
  cName?: string;
  /**
   * What starts each C constant, before the member in upper snake case:
   * `${CNAME}_` by default (`PROTO_TCP`); '' uses the members as they are,
   * as for an enum imported from C (`CONN_NEW`).
   */
  prefix?: string;
  doc?: string;
}

/**
 * A C enum stored in a chosen integer width. The header declares the enum's
 * constants (`PROTO_TCP = 6`) and stores fields as the integer type; TS decodes
 * a known value to its member name and an unknown one to its number.
 */
export class EnumType<N extends string = string> extends CType<N | number> implements Declaration {
  readonly size: number;
  readonly align: number;
  readonly tsType: string;
  readonly label: string;
  readonly cName: string;
  readonly doc: string | undefined;
  readonly storage: IntType;
  /** Member name -> value. */
  readonly values: Readonly<Record<N, number>>;
  /** Value -> member name. */
  readonly names: Readonly<Record<number, N>>;

  constructor(
    readonly name: string,
    members: Record<N, number>,
    readonly options: EnumOptions = {},
  ) {
    super();
    this.storage = options.storage ?? u32;
    this.size = this.storage.size;
    this.align = this.storage.align;
    this.tsType = `${name} | number`;
    this.label = name;
    this.cName = options.cName ?? snakeCase(name);
    this.doc = options.doc;
    this.values = Object.freeze({ ...members });
    const names: Record<number, N> = {};
    for (const [member, value] of Object.entries(members) as [N, number][]) names[value] = member;
    this.names = Object.freeze(names);
  }

  /** The C constants: `PROTO_TCP` for member `TCP` of enum `proto`. */
  constants(): { name: string; value: number }[] {
    const prefix = this.options.prefix ?? `${this.cName.toUpperCase()}_`;
    return Object.entries(this.values).map(([member, value]) => ({
      name: `${prefix}${snakeCase(member).toUpperCase()}`,
      value: value as number,
    }));
  }

  override declaration(): Declaration {
    return this;
  }

  shape(): string {
    const members = Object.entries(this.values).map(([k, v]) => `${k} = ${String(v)}`);
    return `enum ${this.cName} { ${members.join(', ')} } in ${this.storage.label}`;
  }

  /**
   * An int-sized enum is declared as the enum, so BTF (bpftool, the open-time
   * check) sees its constants; a narrower one as its integer, since a C enum
   * is int-sized.
   */
  cDeclare(declarator: string): string {
    return this.size === 4 ? `enum ${this.cName} ${declarator}` : this.storage.cDeclare(declarator);
  }

  typeSpec(): TypeSpec {
    return {
      kind: 'enum',
      name: this.cName,
      size: this.size,
      signed: this.storage.spec.signed,
      values: this.constants(),
    };
  }

  tsEncode(site: EncodeSite): string[] {
    return this.storage.tsEncode({
      ...site,
      value: `c.enumValue(${site.value}, ${this.name}Values, ${checkArgs(site)})`,
    });
  }

  tsDecode(site: DecodeSite): string {
    return `c.enumName(${this.storage.tsDecode(site)}, ${this.name}Names)`;
  }

  writeChecked(
    output: ByteOutput,
    value: N | number,
    path: string,
    field: string,
    index?: number,
  ): void {
    this.storage.writeChecked(
      output,
      enumValue(value, this.values, path, field, index),
      path,
      field,
      index,
    );
  }

  readValue(input: ByteInput): N | number {
    return enumName(this.storage.readValue(input), this.names);
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    const known = new Set(Object.values(this.values) as number[]);
    const unknown = this.storage.arbitrary(fc).filter((n) => !known.has(n));
    return fc.oneof(fc.constantFrom(...Object.keys(this.values)), unknown);
  }
}

/**
 * enumType(name, { TCP: 6, UDP: 17 }, { storage: u8 }) declares a C enum.
 * Throws SchemaError for invalid names, a value the storage cannot hold, and
 * two members with one value (decoding could not tell them apart).
 */
export function enumType<const N extends string>(
  name: string,
  members: Record<N, number>,
  options: EnumOptions = {},
): EnumType<N> {
  checkIdentifier(name, String(name), 'enum name');
  if (options.cName !== undefined) checkIdentifier(options.cName, name, 'C enum name');
  if (options.prefix !== undefined && !/^([A-Za-z_]\w*)?$/.test(String(options.prefix)))
    throw new SchemaError(
      'INVALID_NAME',
      `${name}.prefix`,
      `prefix ${JSON.stringify(options.prefix)} cannot start a C identifier`,
      "Use letters, digits and underscores, not starting with a digit, or '' for none",
    );
  const storage = options.storage ?? u32;
  if (!(storage instanceof IntType) || storage.spec.bigEndian) {
    throw new SchemaError(
      'INVALID_TYPE',
      `${name}.storage`,
      'an enum is stored in a host-order integer',
      'Use u8, u16, u32, i8, i16 or i32',
    );
  }
  const entries = Object.entries(members ?? {});
  if (entries.length === 0)
    throw new SchemaError('EMPTY_STRUCT', name, 'an enum needs at least one member');
  const byValue = new Map<unknown, string>();
  for (const [member, value] of entries) {
    checkIdentifier(member, `${name}.${member}`, 'enum member');
    try {
      storage.spec.checker(value, name, member);
    } catch {
      throw new SchemaError(
        'INVALID_SIZE',
        `${name}.${member}`,
        `value ${String(value)} does not fit the enum's storage ${storage.label}`,
        'Choose a wider storage',
      );
    }
    const other = byValue.get(value);
    if (other !== undefined) {
      throw new SchemaError(
        'DUPLICATE_NAME',
        `${name}.${member}`,
        `${member} and ${other} both have the value ${String(value)}: decoding could not tell them apart`,
        'Give each member its own value',
      );
    }
    byValue.set(value, member);
  }
  return new EnumType(name, members, { ...options, storage });
}
