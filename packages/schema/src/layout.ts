/**
 * The layout engine: where each member of a struct lives, by the C rules that
 * clang applies on both BPF and x86-64 (each member at the next multiple of
 * its alignment; the struct aligned to its widest member; its size rounded up
 * to that alignment). Every byte is accounted for: members and padding.
 */

export interface MemberInput {
  name: string;
  size: number;
  align: number;
}

/** A byte range of a struct: a member, or padding that the compiler would insert. */
export type Slot =
  | { kind: 'member'; name: string; offset: number; size: number }
  | { kind: 'padding'; name: string; offset: number; size: number };

export interface StructLayout {
  size: number;
  align: number;
  /** Members and padding in offset order, covering every byte exactly once. */
  slots: Slot[];
  /** Offset of each member by name. */
  offsets: Record<string, number>;
}

export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

export function layoutStruct(members: readonly MemberInput[]): StructLayout {
  const slots: Slot[] = [];
  const offsets: Record<string, number> = {};
  let cursor = 0;
  let align = 1;
  let pads = 0;
  const pad = (to: number) => {
    if (to > cursor) slots.push({ kind: 'padding', name: `__pad${pads++}`, offset: cursor, size: to - cursor });
    cursor = to;
  };
  for (const m of members) {
    pad(alignUp(cursor, m.align));
    slots.push({ kind: 'member', name: m.name, offset: cursor, size: m.size });
    offsets[m.name] = cursor;
    cursor += m.size;
    align = Math.max(align, m.align);
  }
  pad(alignUp(cursor, align));
  return { size: cursor, align, slots, offsets };
}
