import type { ByteInput, ByteOutput } from './serial.js';
import * as c from '../codec/primitives.js';
import type { FastCheck } from './arbitrary-types.js';
import { CType, type DecodeSite, type EncodeSite } from './base.js';
import { checkArgs } from './int.js';
import type { TypeSpec } from '../btf/type-spec.js';

/** C `float` or `double`, stored for user space (BPF programs cannot compute with them). */
export class FloatType extends CType<number> {
  readonly tsType = 'number';
  readonly label: string;
  readonly align: number;
  private readonly dataView: string;
  private readonly check: 'f32' | 'f64';

  constructor(readonly size: 4 | 8) {
    super();
    this.align = size;
    this.label = size === 4 ? 'f32' : 'f64';
    this.check = size === 4 ? 'f32' : 'f64';
    this.dataView = size === 4 ? 'Float32' : 'Float64';
  }

  cDeclare(declarator: string): string {
    return `${this.size === 4 ? 'float' : 'double'} ${declarator}`;
  }

  typeSpec(): TypeSpec {
    return { kind: 'float', size: this.size };
  }

  tsEncode(site: EncodeSite): string[] {
    return [
      `${site.view}.set${this.dataView}(${site.offset}, c.${this.check}(${site.value}, ${checkArgs(site)}), true);`,
    ];
  }

  tsDecode(site: DecodeSite): string {
    return `${site.view}.get${this.dataView}(${site.offset}, true)`;
  }

  writeChecked(
    output: ByteOutput,
    value: number,
    path: string,
    field: string,
    index?: number,
  ): void {
    const v = c[this.check](value, path, field, index);
    const bytes = new DataView(new ArrayBuffer(8));
    if (this.size === 4) bytes.setFloat32(0, v, true);
    else bytes.setFloat64(0, v, true);
    for (let i = 0; i < this.size; i++) output.writeUint8(bytes.getUint8(i));
  }

  readValue(input: ByteInput): number {
    const bytes = new DataView(new ArrayBuffer(8));
    for (let i = 0; i < this.size; i++) bytes.setUint8(i, input.readUint8());
    return this.size === 4 ? bytes.getFloat32(0, true) : bytes.getFloat64(0, true);
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    return this.size === 4 ? fc.float() : fc.double();
  }
}

/** C `float`: TS number (rounded to single precision; a finite value beyond its range is refused). */
export const f32 = new FloatType(4);
/** C `double`: TS number. */
export const f64 = new FloatType(8);
