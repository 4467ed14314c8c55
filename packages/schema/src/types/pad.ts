import type { ByteInput, ByteOutput } from './serial.js';
import { SchemaError } from '../errors.js';
import type { FastCheck } from './arbitrary-types.js';
import {
  CType,
  type BodySite,
  type DecodeSite,
  type EncodeSite,
  type Member,
  type MemberContext,
  type TsField,
} from './base.js';
import { checkSize } from './bytes.js';
import { zeroes } from './zeroes.js';
import { byteArraySpec, type MemberSpec, type TypeSpec } from '../btf/type-spec.js';

/**
 * Explicit padding: N bytes that are always zero and absent from the TS type
 * (reserved space, or padding you want to see in the schema). As a member it
 * declares C storage and contributes nothing to the TS value.
 */
export class PadType extends CType<undefined> {
  readonly '~hidden' = true as const;
  readonly align: number = 1;
  readonly tsType = 'never';
  readonly label: string;

  constructor(readonly size: number) {
    super();
    this.label = `pad(${size})`;
  }

  cDeclare(declarator: string): string {
    return `__u8 ${declarator}[${this.size}]`;
  }

  typeSpec(): TypeSpec {
    return byteArraySpec(this.size);
  }

  // C code may name its padding anything (`__pad`, `reserved`): a schema's need not match.
  override memberSpecs(m: Member): MemberSpec[] {
    return [{ ...super.memberSpecs(m)[0]!, padding: true }];
  }

  override checkStandalone(path: string): void {
    throw new SchemaError(
      'INVALID_TYPE',
      path,
      `${this.label} is padding: it only exists inside a struct`,
      'Use bytes(N) for raw data',
    );
  }

  override checkMember(path: string, context: MemberContext): void {
    if (context.container === 'union') {
      throw new SchemaError(
        'INVALID_TYPE',
        path,
        'a union member made only of padding can never be the one set',
        'Give it a field that holds data',
      );
    }
  }

  override memberNames(): string[] {
    return [];
  }

  override tsFields(): TsField[] {
    return [];
  }

  override encodeMember(m: Member, site: BodySite): string[] {
    return zeroes(site.offset, m.offset, this.size);
  }

  override decodeMember(): string[] {
    return [];
  }

  // Member storage starts zeroed in the reference codec: nothing to write or read.
  override writeMember(): void {}
  override readMember(): void {}

  tsEncode(site: EncodeSite): string[] {
    return zeroes(site.offset, 0, this.size);
  }

  tsDecode(_site: DecodeSite): string {
    return 'undefined';
  }

  writeChecked(output: ByteOutput): void {
    for (let i = 0; i < this.size; i++) output.writeUint8(0);
  }

  readValue(input: ByteInput): undefined {
    input.skipBytes(this.size);
    return undefined;
  }

  /** @internal */
  arbitrary(fc: FastCheck) {
    return fc.constant(undefined);
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
 * `{ lock: true }` (BPF_F_LOCK). Absent from the TS type; always written as
 * zero (the kernel never copies the lock itself). Needs a map created with
 * BTF, as libbpf does for maps defined in a BPF object.
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

  /** As linux/bpf.h defines it: the kernel finds the lock in a map value by this name. */
  override typeSpec(): TypeSpec {
    return SPIN_LOCK;
  }

  /** The lock is no padding: a value without it in BTF cannot take BPF_F_LOCK. */
  override memberSpecs(m: Member): MemberSpec[] {
    return [{ name: m.name, bitOffset: m.offset * 8, bits: 0, type: SPIN_LOCK }];
  }
}

const SPIN_LOCK: TypeSpec = {
  kind: 'struct',
  name: 'bpf_spin_lock',
  size: 4,
  members: [{ name: 'val', bitOffset: 0, bits: 0, type: { kind: 'int', size: 4, signed: false } }],
};

/** spinLock: a `struct bpf_spin_lock` member (see SpinLockType). */
export const spinLock = new SpinLockType();

/** How many spinLocks `type` holds, at any depth. */
export function countSpinLocks(type: CType<unknown>): number {
  return (
    (type instanceof SpinLockType ? 1 : 0) +
    type.children().reduce((n, child) => n + countSpinLocks(child), 0)
  );
}
