import type { ISerialInput, ISerialOutput } from 'typed-binary';
import { fail } from '../codec/primitives.js';
import { SchemaError } from '../errors.js';
import { CType, type DecodeSite, type EncodeSite } from './base.js';

function checkSize(size: number, what: string): void {
  if (!Number.isInteger(size) || size < 1) throw new SchemaError('INVALID_SIZE', `${what}(${size})`, 'the size must be a whole number of at least 1');
}

function index(site: EncodeSite): string {
  return site.index ? `, ${site.index}` : '';
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

  tsEncode(site: EncodeSite): string[] {
    return [`c.bytes(${site.view}, ${site.offset}, ${this.size}, ${site.value}, ${site.path}, ${site.field}${index(site)});`];
  }

  tsDecode(site: DecodeSite): string {
    return `c.readBytes(${site.view}, ${site.offset}, ${this.size})`;
  }

  writeChecked(output: ISerialOutput, value: Uint8Array, path: string, field: string, i?: number): void {
    if (!(value instanceof Uint8Array) || value.length !== this.size) fail(path, field, i, `a Uint8Array of exactly ${this.size} bytes`, value);
    for (const b of value) output.writeUint8(b);
  }

  readValue(input: ISerialInput): Uint8Array {
    return Uint8Array.from({ length: this.size }, () => input.readUint8());
  }
}

/** bytes(N): N raw bytes, as a Uint8Array (hashes, opaque identifiers). */
export function bytes(size: number): BytesType {
  checkSize(size, 'bytes');
  return new BytesType(size);
}

/**
 * Explicit padding: N bytes that are always zero and absent from the TS type
 * (reserved space, or padding you want to see in the schema).
 */
export class PadType extends BytesType {
  override readonly label: string;
  override readonly hidden = true;

  constructor(size: number) {
    super(size);
    this.label = `pad(${size})`;
  }

  override tsEncode(site: EncodeSite): string[] {
    return [`c.zero(${site.view}, ${site.offset}, ${this.size});`];
  }

  override writeChecked(output: ISerialOutput): void {
    for (let i = 0; i < this.size; i++) output.writeUint8(0);
  }
}

/** pad(N): N zero bytes the TS side never sees. */
export function pad(size: number): PadType {
  checkSize(size, 'pad');
  return new PadType(size);
}

/**
 * A `struct bpf_spin_lock` inside a map value: kernel programs take it with
 * bpf_spin_lock(); user space reads and writes the value under it with
 * `{ lock: true }` (BPF_F_LOCK). Absent from the TS type; always written as zero
 * (the kernel never copies the lock itself). Needs a map created with BTF,
 * as libbpf does for maps defined in a BPF object.
 */
export class SpinLockType extends PadType {
  override readonly label: string = 'spinLock';
  override readonly align: number = 4;

  constructor() {
    super(4);
  }

  override cDeclare(declarator: string): string {
    return `struct bpf_spin_lock ${declarator}`;
  }
}

/** spinLock: a `struct bpf_spin_lock` member (see SpinLockType). */
export const spinLock = new SpinLockType();
