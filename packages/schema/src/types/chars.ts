import type { ISerialInput, ISerialOutput } from 'typed-binary';
import { charsExpected, fail } from '../codec/primitives.js';
import { SchemaError } from '../errors.js';
import { CType, type DecodeSite, type EncodeSite } from './base.js';

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

  tsEncode(site: EncodeSite): string[] {
    const index = site.index ? `, ${site.index}` : '';
    return [`c.chars(${site.view}, ${site.offset}, ${this.size}, ${site.value}, ${site.path}, ${site.field}${index});`];
  }

  tsDecode(site: DecodeSite): string {
    return `c.readChars(${site.view}, ${site.offset}, ${this.size})`;
  }

  writeChecked(output: ISerialOutput, value: string, path: string, field: string, index?: number): void {
    if (typeof value !== 'string') fail(path, field, index, charsExpected(this.size), value);
    const bytes = encoder.encode(value);
    if (bytes.length > this.size - 1) fail(path, field, index, charsExpected(this.size), value);
    for (let i = 0; i < this.size; i++) output.writeUint8(bytes[i] ?? 0);
  }

  readValue(input: ISerialInput): string {
    const bytes: number[] = [];
    let ended = false;
    for (let i = 0; i < this.size; i++) {
      const b = input.readUint8();
      if (b === 0) ended = true;
      if (!ended) bytes.push(b);
    }
    return decoder.decode(new Uint8Array(bytes));
  }
}

/**
 * chars(N) is a C `char[N]` string: TS string in, NUL-padded UTF-8 bytes out.
 * Encoding throws when the text needs more than N-1 bytes.
 */
export function chars(size: number): CharsType {
  if (!Number.isInteger(size) || size < 2) {
    throw new SchemaError('INVALID_SIZE', `chars(${size})`, 'a char array needs a whole size of at least 2', 'One byte is kept for the NUL');
  }
  return new CharsType(size);
}
