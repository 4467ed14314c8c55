/**
 * Program arrays (BPF_MAP_TYPE_PROG_ARRAY): index -> program, for tail calls.
 * User space stores a program by its fd; a lookup reads back the program's
 * id. The kernel empties the array when the last user-space reference to it
 * goes away (every fd closed, no pin), so keep this handle open, or pin the
 * map, for as long as the tail calls must work.
 */
import type { Program } from '../program.js';
import { indexCodec } from './array.js';
import { FdSlotMap } from './fd-slots.js';
import { checkIndex } from './index-range.js';

export class ProgramArrayMap extends FdSlotMap<number> {
  get accessor(): string {
    return 'ProgramArrayMap';
  }
  readonly keyCodec = indexCodec;

  /** An index at or past the end is OUT_OF_RANGE for every operation, before any syscall. */
  protected override checkKey(index: number, op: string): void {
    checkIndex(op, this.name, index, this.raw.info.maxEntries);
  }

  /** Puts `program` in slot `index`: a tail call to `index` now jumps to it. */
  set(index: number, program: Program): void {
    const why = `program ${program.name}: a program array holds programs of one type, the type of the programs that tail-call through it`;
    this.store('set', index, program.fd, 0, why);
  }

  /** The id of the program in slot `index`, or undefined when it is empty. */
  get(index: number): number | undefined {
    return this.lookupId('get', index);
  }
}
