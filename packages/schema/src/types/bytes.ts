import type { ByteInput, ByteOutput } from './serial.js';
import { fail } from '../codec/primitives.js';
import { SchemaError } from '../errors.js';
import type { FastCheck } from './arbitrary-types.js';
import { CType, type DecodeSite, type EncodeSite } from './base.js';
import { checkArgs } from './int.js';
import { byteArraySpec, type TypeSpec } from '../btf/type-spec.js';

export function checkSize(size: number, what: string): void {
  if (!Number.isInteger(size) || size < 1) {
    throw new SchemaError(
      'INVALID_SIZE',
      `${what}(${size})`,
      'the size must be a whole number of at least 1',
    );
  }
}

/** Raw bytes: C `__u8 name[N]`, TS Uint8Array of exactly N. */
export class BytesType extends CType<Uint8Array> {
  readonly align: number = 1;
  readonly tsType = 'Uint8Array';
  readonly label: string;

  constructor(readonly size: number) {
    super();
    this.label = `bytes(${size})`;
  }

  cDeclare(declarator: string): string {
    return `__u8 ${declarator}[${this.size}]`;
  }

  typeSpec(): TypeSpec {
    return byteArraySpec(this.size);
  }

  override elementSize(): number {
    return 1;
  }

  tsEncode(site: EncodeSite): string[] {
    return [
      `c.bytes(${site.view}, ${site.offset}, ${this.size}, ${site.value}, ${checkArgs(site)});`,
    ];
  }

  tsDecode(site: DecodeSite): string {
    return `c.readBytes(${site.view}, ${site.offset}, ${this.size})`;
  }

  writeChecked(
    output: ByteOutput,
    value: Uint8Array,
    path: string,
    field: string,
    i?: number,
  ): void {
    if (!(value instanceof Uint8Array) || value.length !== this.size)
      fail(path, field, i, `a Uint8Array of exactly ${this.size} bytes`, value);
    for (const b of value) output.writeUint8(b);
  }

  readValue(input: ByteInput): Uint8Array {
    return Uint8Array.from({ length: this.size }, () => input.readUint8());
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    return fc.uint8Array({ minLength: this.size, maxLength: this.size });
  }
}

/** bytes(N): N raw bytes, as a Uint8Array (hashes, opaque identifiers). */
export function bytes(size: number): BytesType {
  checkSize(size, 'bytes');
  return new BytesType(size);
}
