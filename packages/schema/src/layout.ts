/**
 * The layout engine: where each member of a struct or union lives, by the
 * rules clang applies on both BPF and x86-64 (System V):
 *
 * - a member sits at the next multiple of its alignment (1 in a packed struct);
 * - a bitfield sits at the next free bit unless it would straddle a storage
 *   unit of its declared type, then at the next unit (packed: never moves);
 *   a zero-width bitfield moves to the next unit of its type (and is placed
 *   there, holding no bits, so the C rendering keeps it);
 * - the alignment is the largest member alignment (named bitfields count,
 *   zero-width ones do not), 1 when packed, raised by aligned(N);
 * - the size is rounded up to the alignment; a union's members all sit at 0.
 *
 * Every byte is accounted for: members, bitfield storage, and padding.
 */

export interface MemberInput {
  /** Empty for a zero-width bitfield, which has no name in C. */
  name: string;
  size: number;
  align: number;
  /** Width in bits, for a bitfield. */
  bits?: number;
}

export interface LayoutOptions {
  union?: boolean;
  packed?: boolean;
  /** aligned(N): the minimum alignment of the whole struct. */
  align?: number;
}

/** Where one member lives. Bit offsets count from the start of the struct. */
export interface Placement {
  name: string;
  /** Byte offset (for a bitfield: of the first byte holding one of its bits). */
  offset: number;
  size: number;
  /** Bit offset and width, for a bitfield. */
  bitOffset?: number;
  bits?: number;
}

/** A byte range of a struct: one member, bytes shared by bitfields, or padding. */
export interface Slot {
  kind: 'member' | 'bitfields' | 'padding';
  /** The members stored in the range (none for padding). */
  names: string[];
  offset: number;
  size: number;
}

export interface StructLayout {
  size: number;
  align: number;
  placements: Placement[];
  /** Byte offset of each named member. */
  offsets: Record<string, number>;
  /** Members, bitfield storage and padding in offset order, covering every byte once (structs only). */
  slots: Slot[];
}

export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

export function layoutMembers(
  members: readonly MemberInput[],
  options: LayoutOptions = {},
): StructLayout {
  return options.union ? layoutUnion(members, options) : layoutStruct(members, options);
}

function finish(
  end: number,
  align: number,
  options: LayoutOptions,
): { size: number; align: number } {
  const a = Math.max(options.packed ? 1 : align, options.align ?? 1);
  return { size: alignUp(end, a), align: a };
}

function layoutUnion(members: readonly MemberInput[], options: LayoutOptions): StructLayout {
  let end = 0;
  let align = 1;
  const placements: Placement[] = [];
  for (const m of members) {
    placements.push({ name: m.name, offset: 0, size: m.size });
    end = Math.max(end, m.size);
    align = Math.max(align, m.align);
  }
  const { size, align: a } = finish(end, align, options);
  return {
    size,
    align: a,
    placements,
    offsets: Object.fromEntries(members.map((m) => [m.name, 0])),
    slots: [],
  };
}

function layoutStruct(members: readonly MemberInput[], options: LayoutOptions): StructLayout {
  const packed = options.packed === true;
  const placements: Placement[] = [];
  let bit = 0;
  let align = 1;
  for (const m of members) {
    if (m.bits === undefined) {
      const offset = alignUp(Math.ceil(bit / 8), packed ? 1 : m.align);
      placements.push({ name: m.name, offset, size: m.size });
      bit = (offset + m.size) * 8;
      align = Math.max(align, m.align);
      continue;
    }
    const unit = m.size * 8;
    if (m.bits === 0) {
      // Placed, though it holds nothing: the header must spell it, or clang packs the next bitfield sooner.
      bit = alignUp(bit, m.align * 8);
      placements.push({ name: m.name, offset: bit / 8, size: m.size, bitOffset: bit, bits: 0 });
      continue;
    }
    if (!packed && Math.floor(bit / unit) !== Math.floor((bit + m.bits - 1) / unit))
      bit = alignUp(bit, unit);
    placements.push({
      name: m.name,
      offset: Math.floor(bit / 8),
      size: m.size,
      bitOffset: bit,
      bits: m.bits,
    });
    bit += m.bits;
    align = Math.max(align, m.align);
  }
  const { size, align: a } = finish(Math.ceil(bit / 8), align, options);
  return {
    size,
    align: a,
    placements,
    offsets: Object.fromEntries(placements.map((p) => [p.name, p.offset])),
    slots: slotsOf(placements, size),
  };
}

/** Groups placements into byte slots: bitfields sharing bytes form one slot; gaps become padding. */
function slotsOf(placements: readonly Placement[], size: number): Slot[] {
  const slots: Slot[] = [];
  let cursor = 0;
  const pad = (to: number) => {
    if (to > cursor) slots.push({ kind: 'padding', names: [], offset: cursor, size: to - cursor });
    cursor = Math.max(cursor, to);
  };
  for (const p of placements) {
    if (p.bits === undefined) {
      pad(p.offset);
      slots.push({ kind: 'member', names: [p.name], offset: p.offset, size: p.size });
      cursor = p.offset + p.size;
      continue;
    }
    const first = Math.floor((p.bitOffset as number) / 8);
    const end = Math.ceil(((p.bitOffset as number) + p.bits) / 8);
    const last = slots.at(-1);
    if (last?.kind === 'bitfields' && first < last.offset + last.size) {
      last.names.push(p.name);
      last.size = Math.max(last.size, end - last.offset);
    } else {
      pad(first);
      slots.push({ kind: 'bitfields', names: [p.name], offset: first, size: end - first });
    }
    cursor = Math.max(cursor, end);
  }
  pad(size);
  return slots;
}
