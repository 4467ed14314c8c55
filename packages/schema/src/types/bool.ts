import type { ByteInput, ByteOutput } from './serial.js';
import * as c from '../codec/primitives.js';
import type { FastCheck } from './arbitrary-types.js';
import { CType, type DecodeSite, type EncodeSite } from './base.js';
import { checkArgs } from './int.js';
import type { TypeSpec } from '../btf/type-spec.js';

/** C `_Bool`: one byte, TS boolean; any non-zero byte decodes as true. */
export class BoolType extends CType<boolean> {
  readonly size = 1;
  readonly align = 1;
  readonly tsType = 'boolean';
  readonly label = 'bool';

  cDeclare(declarator: string): string {
    return `_Bool ${declarator}`;
  }

  typeSpec(): TypeSpec {
    return { kind: 'int', size: 1, signed: false, bool: true };
  }

  tsEncode(site: EncodeSite): string[] {
    return [`${site.view}.setUint8(${site.offset}, c.bool(${site.value}, ${checkArgs(site)}));`];
  }

  tsDecode(site: DecodeSite): string {
    return `${site.view}.getUint8(${site.offset}) !== 0`;
  }

  writeChecked(
    output: ByteOutput,
    value: boolean,
    path: string,
    field: string,
    index?: number,
  ): void {
    output.writeUint8(c.bool(value, path, field, index));
  }

  readValue(input: ByteInput): boolean {
    return input.readUint8() !== 0;
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    return fc.boolean();
  }
}

/** C `_Bool`: TS boolean. */
export const bool = new BoolType();
