import type { ByteInput, ByteOutput } from './serial.js';
import { charsExpected, fail } from '../codec/primitives.js';
import { SchemaError } from '../errors.js';
import type { FastCheck } from './arbitrary-types.js';
import { CType, type DecodeSite, type EncodeSite } from './base.js';
import { checkArgs } from './int.js';
import type { TypeSpec } from '../btf/type-spec.js';

const CHAR: TypeSpec = { kind: 'int', size: 1, signed: true, char: true };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** C `char[N]` holding a NUL-terminated UTF-8 string; at most N-1 bytes of text. */
export class CharsType extends CType<string> {
  readonly align = 1;
  readonly tsType = 'string';
  readonly label: string;

  constructor(readonly size: number) {
    super();
    this.label = `chars(${size})`;
  }

  cDeclare(declarator: string): string {
    return `char ${declarator}[${this.size}]`;
  }

  typeSpec(): TypeSpec {
    return { kind: 'array', element: CHAR, count: this.size };
  }

  override elementSize(): number {
    return 1;
  }

  tsEncode(site: EncodeSite): string[] {
    return [
      `c.chars(${site.view}, ${site.offset}, ${this.size}, ${site.value}, ${checkArgs(site)});`,
    ];
  }

  tsDecode(site: DecodeSite): string {
    return `c.readChars(${site.view}, ${site.offset}, ${this.size})`;
  }

  writeChecked(
    output: ByteOutput,
    value: string,
    path: string,
    field: string,
    index?: number,
  ): void {
    if (typeof value !== 'string' || value.includes('\0'))
      fail(path, field, index, charsExpected(this.size), value);
    const bytes = encoder.encode(value);
    if (bytes.length > this.size - 1) fail(path, field, index, charsExpected(this.size), value);
    for (let i = 0; i < this.size; i++) output.writeUint8(bytes[i] ?? 0);
  }

  readValue(input: ByteInput): string {
    const bytes = Array.from({ length: this.size }, () => input.readUint8());
    const end = bytes.indexOf(0);
    return decoder.decode(new Uint8Array(end === -1 ? bytes : bytes.slice(0, end)));
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    return fc
      .string({ unit: 'grapheme', maxLength: this.size - 1 })
      .filter((s) => !s.includes('\0') && encoder.encode(s).length <= this.size - 1);
  }
}

/**
 * chars(N) is a C `char[N]` string: TS string in, NUL-padded UTF-8 bytes out.
 * Encoding throws when the text needs more than N-1 bytes or holds a NUL.
 */
export function chars(size: number): CharsType {
  if (!Number.isInteger(size) || size < 2) {
    throw new SchemaError(
      'INVALID_SIZE',
      `chars(${size})`,
      'a char array needs a whole size of at least 2',
      'One byte is kept for the NUL',
    );
  }
  return new CharsType(size);
}
