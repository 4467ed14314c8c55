import type { ByteInput, ByteOutput } from './serial.js';
import { SchemaError } from '../errors.js';
import { CType } from './base.js';

/**
 * A type that exists only as a member of a struct or union (bitfields,
 * anonymous members): its composite reads and writes it through the member
 * hooks, so the value-level codec methods are never reached; they throw,
 * and so does checkStandalone, which keeps them from being reached.
 */
export abstract class MemberOnlyType<T> extends CType<T> {
  /** Why the type cannot stand alone, for messages. */
  protected abstract readonly memberOnly: string;

  override checkStandalone(path: string): void {
    throw new SchemaError('INVALID_TYPE', path, `${this.label} ${this.memberOnly}`);
  }

  tsEncode(): string[] {
    return this.misuse();
  }
  tsDecode(): string {
    return this.misuse();
  }
  writeChecked(_output: ByteOutput): void {
    this.misuse();
  }
  readValue(_input: ByteInput): T {
    return this.misuse();
  }

  protected misuse(): never {
    throw new SchemaError('INVALID_TYPE', this.label, this.memberOnly);
  }
}
