import type { ByteInput, ByteOutput } from './serial.js';
import { fail } from '../codec/primitives.js';
import { formatIPv4, formatIPv6, formatMac, parseIPv4, parseIPv6, parseMac } from '../codec/net.js';
import type { FastCheck } from './arbitrary-types.js';
import { CType, type DecodeSite, type EncodeSite } from './base.js';
import { checkArgs } from './int.js';
import { byteArraySpec, type TypeSpec } from '../btf/type-spec.js';

/** An IPv4 address: C `__be32` (network order), TS "10.0.0.1". */
export class IPv4Type extends CType<string> {
  readonly size = 4;
  readonly align = 4;
  readonly tsType = 'string';
  readonly label = 'ipv4';

  cDeclare(declarator: string): string {
    return `__be32 ${declarator}`;
  }

  typeSpec(): TypeSpec {
    return { kind: 'int', size: 4, signed: false, bigEndian: true };
  }

  tsEncode(site: EncodeSite): string[] {
    return [
      `${site.view}.setUint32(${site.offset}, c.ipv4(${site.value}, ${checkArgs(site)}), false);`,
    ];
  }

  tsDecode(site: DecodeSite): string {
    return `c.formatIPv4(${site.view}.getUint32(${site.offset}, false))`;
  }

  writeChecked(output: ByteOutput, value: string, path: string, field: string, i?: number): void {
    const n =
      (typeof value === 'string' ? parseIPv4(value) : undefined) ??
      fail(path, field, i, 'an IPv4 address such as "10.0.0.1"', value);
    for (const shift of [24, 16, 8, 0]) output.writeUint8((n >>> shift) & 0xff);
  }

  readValue(input: ByteInput): string {
    let n = 0;
    for (let k = 0; k < 4; k++) n = n * 256 + input.readUint8();
    return formatIPv4(n);
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    return fc.ipV4();
  }
}

/** Byte-array addresses: IPv6 (16 bytes) and MAC (6 bytes), as canonical text in TS. */
export class AddressBytesType extends CType<string> {
  readonly align = 1;
  readonly tsType = 'string';

  constructor(
    readonly label: 'ipv6' | 'mac',
    readonly size: number,
    readonly parse: (text: string) => Uint8Array | undefined,
    readonly format: (bytes: Uint8Array) => string,
    readonly example: string,
    /** Suffix of the codec functions: `c.ipv6`/`c.readIPv6`. */
    private readonly codec: 'IPv6' | 'Mac',
  ) {
    super();
  }

  cDeclare(declarator: string): string {
    return `__u8 ${declarator}[${this.size}]`;
  }

  typeSpec(): TypeSpec {
    return byteArraySpec(this.size);
  }

  tsEncode(site: EncodeSite): string[] {
    return [`c.${this.label}(${site.view}, ${site.offset}, ${site.value}, ${checkArgs(site)});`];
  }

  tsDecode(site: DecodeSite): string {
    return `c.read${this.codec}(${site.view}, ${site.offset})`;
  }

  writeChecked(output: ByteOutput, value: string, path: string, field: string, i?: number): void {
    const b =
      (typeof value === 'string' ? this.parse(value) : undefined) ??
      fail(path, field, i, this.example, value);
    for (const byte of b) output.writeUint8(byte);
  }

  readValue(input: ByteInput): string {
    return this.format(Uint8Array.from({ length: this.size }, () => input.readUint8()));
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    return fc.uint8Array({ minLength: this.size, maxLength: this.size }).map(this.format);
  }
}

/** ipv4: `__be32` in C, "10.0.0.1" in TS. */
export const ipv4 = new IPv4Type();
/** ipv6: `__u8[16]` in C, canonical text ("2001:db8::1") in TS. */
export const ipv6 = new AddressBytesType(
  'ipv6',
  16,
  parseIPv6,
  formatIPv6,
  'an IPv6 address such as "2001:db8::1"',
  'IPv6',
);
/** mac: `__u8[6]` in C, "aa:bb:cc:dd:ee:ff" in TS. */
export const mac = new AddressBytesType(
  'mac',
  6,
  parseMac,
  formatMac,
  'a MAC address such as "aa:bb:cc:dd:ee:ff"',
  'Mac',
);
