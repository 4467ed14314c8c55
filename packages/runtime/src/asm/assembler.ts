/**
 * A small BPF assembler: instructions built in TypeScript, jumps to named
 * labels resolved when assembled. Enough for the programs the runtime writes
 * for itself (the syscall programs of in-kernel batch operations): 64-bit
 * ALU, loads and stores, atomics, map references, helper calls, branches.
 * The encoding is the kernel's (Documentation/bpf/standardization/
 * instruction-set.rst): 8 bytes an instruction, `ld_imm64` two.
 */

/** Registers: r0 return value, r1-r5 arguments, r6-r9 kept across calls, r10 the frame pointer. */
export type Reg = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;
export type Size = 1 | 2 | 4 | 8;

const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, JMP = 0x05, ALU64 = 0x07; // prettier-ignore
const MEM = 0x60, IMM = 0x00, ATOMIC = 0xc0; // prettier-ignore
const K = 0x00, X = 0x08; // prettier-ignore
const SIZES: Record<Size, number> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };
const ALU = { add: 0x00, sub: 0x10, mul: 0x20, mov: 0xb0 } as const;
const JUMPS = { eq: 0x10, gt: 0x20, ge: 0x30, ne: 0x50, lt: 0xa0, le: 0xb0 } as const;
/** BPF_ADD and BPF_CMPXCHG (with BPF_FETCH) as atomic immediates. */
const ATOMIC_ADD = 0x00;
const ATOMIC_CMPXCHG = 0xf1;
/** ld_imm64 source: a map by fd, or a pointer into a map's value (an array's, at an offset). */
const PSEUDO_MAP_FD = 1;
const PSEUDO_MAP_VALUE = 2;

export type Jump = keyof typeof JUMPS;

/** Helper function ids (include/uapi/linux/bpf.h, enum bpf_func_id). */
export const HELPERS = { mapLookupElem: 1, mapUpdateElem: 2, mapDeleteElem: 3 } as const;

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number | string;
  imm: number;
}

/** Builds one program; assemble() returns its bytes. */
export class Assembler {
  readonly #insns: Insn[] = [];
  readonly #labels = new Map<string, number>();

  #emit(code: number, dst: number, src: number, off: number | string, imm: number): this {
    // An instruction's offset is 16 bits, signed: past it, the bytes written would wrap to the wrong field.
    if (typeof off === 'number' && (off < -0x8000 || off > 0x7fff))
      throw new RangeError(
        `assembler: offset ${off} does not fit an instruction (16 bits, signed)`,
      );
    this.#insns.push({ code, dst, src, off, imm });
    return this;
  }

  /** Marks where the next instruction is, for jumps to `name`. */
  label(name: string): this {
    if (this.#labels.has(name)) throw new Error(`assembler: label ${name} placed twice`);
    this.#labels.set(name, this.#insns.length);
    return this;
  }

  /** dst = imm (sign-extended 32-bit). */
  movImm(dst: Reg, imm: number): this {
    return this.#emit(ALU64 | ALU.mov | K, dst, 0, 0, imm);
  }

  /** dst = src. */
  mov(dst: Reg, src: Reg): this {
    return this.#emit(ALU64 | ALU.mov | X, dst, src, 0, 0);
  }

  /** dst += imm, dst *= imm, ... (64-bit). */
  aluImm(op: keyof typeof ALU, dst: Reg, imm: number): this {
    return this.#emit(ALU64 | ALU[op] | K, dst, 0, 0, imm);
  }

  /** dst += src, dst *= src, ... (64-bit). */
  alu(op: keyof typeof ALU, dst: Reg, src: Reg): this {
    return this.#emit(ALU64 | ALU[op] | X, dst, src, 0, 0);
  }

  /** dst = *(size *)(src + off). */
  load(size: Size, dst: Reg, src: Reg, off: number): this {
    return this.#emit(LDX | MEM | SIZES[size], dst, src, off, 0);
  }

  /** *(size *)(dst + off) = src. */
  store(size: Size, dst: Reg, off: number, src: Reg): this {
    return this.#emit(STX | MEM | SIZES[size], dst, src, off, 0);
  }

  /** *(size *)(dst + off) = imm. */
  storeImm(size: Size, dst: Reg, off: number, imm: number): this {
    return this.#emit(ST | MEM | SIZES[size], dst, 0, off, imm);
  }

  /** lock *(size *)(dst + off) += src (4 or 8 bytes). */
  atomicAdd(size: 4 | 8, dst: Reg, off: number, src: Reg): this {
    return this.#emit(STX | ATOMIC | SIZES[size], dst, src, off, ATOMIC_ADD);
  }

  /** r0 = cmpxchg((size *)(dst + off), r0, src): stores src where the memory held r0; r0 gets what it held. */
  compareExchange(size: 4 | 8, dst: Reg, off: number, src: Reg): this {
    return this.#emit(STX | ATOMIC | SIZES[size], dst, src, off, ATOMIC_CMPXCHG);
  }

  /** dst = the map whose fd is `fd` (the kernel swaps in its address at load). */
  loadMap(dst: Reg, fd: number): this {
    this.#emit(LD | IMM | SIZES[8], dst, PSEUDO_MAP_FD, 0, fd);
    return this.#emit(0, 0, 0, 0, 0);
  }

  /** dst = a pointer `offset` bytes into the value of array map `fd` (its only entry). */
  loadMapValue(dst: Reg, fd: number, offset = 0): this {
    this.#emit(LD | IMM | SIZES[8], dst, PSEUDO_MAP_VALUE, 0, fd);
    return this.#emit(0, 0, 0, 0, offset);
  }

  call(helper: number): this {
    return this.#emit(JMP | 0x80, 0, 0, 0, helper);
  }

  /** if (dst <op> imm) goto label (unsigned compares). */
  jumpImm(op: Jump, dst: Reg, imm: number, label: string): this {
    return this.#emit(JMP | JUMPS[op] | K, dst, 0, label, imm);
  }

  /** if (dst <op> src) goto label (unsigned compares). */
  jump(op: Jump, dst: Reg, src: Reg, label: string): this {
    return this.#emit(JMP | JUMPS[op] | X, dst, src, label, 0);
  }

  goto(label: string): this {
    return this.#emit(JMP | 0x00, 0, 0, label, 0);
  }

  exit(): this {
    return this.#emit(JMP | 0x90, 0, 0, 0, 0);
  }

  /** The program's bytes, jumps resolved. Throws naming a label jumped to but never placed. */
  assemble(): Uint8Array {
    const out = new Uint8Array(this.#insns.length * 8);
    const v = new DataView(out.buffer);
    this.#insns.forEach((insn, i) => {
      let off = insn.off;
      if (typeof off === 'string') {
        const target = this.#labels.get(off);
        if (target === undefined) throw new Error(`assembler: no label ${off}`);
        off = target - i - 1;
      }
      v.setUint8(i * 8, insn.code);
      v.setUint8(i * 8 + 1, (insn.src << 4) | insn.dst);
      v.setInt16(i * 8 + 2, off, true);
      v.setInt32(i * 8 + 4, insn.imm | 0, true);
    });
    return out;
  }

  get length(): number {
    return this.#insns.length;
  }
}

/**
 * Copies `size` bytes from (src + srcOff) to (dst + dstOff) with unrolled
 * loads and stores, widest first, never reading past `size` (the verifier
 * checks every access against the value's size). Uses `tmp`.
 */
/** The largest offset an instruction holds: fields past it are reached by adding to the pointer first. */
export const MAX_OFFSET = 0x7fff;

export function copyBytes(
  asm: Assembler,
  dst: Reg,
  dstOff: number,
  src: Reg,
  srcOff: number,
  size: number,
  tmp: Reg,
): void {
  let at = 0;
  for (const width of [8, 4, 2, 1] as const) {
    while (size - at >= width) {
      asm.load(width, tmp, src, srcOff + at).store(width, dst, dstOff + at, tmp);
      at += width;
    }
  }
}
