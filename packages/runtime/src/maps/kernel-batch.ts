/**
 * Bulk operations done in the kernel: for each map (and operation), the
 * runtime writes a BPF_PROG_TYPE_SYSCALL program (asm/) that works through
 * up to `capacity` keys per run over a scratch array mapped into this
 * process. Keys go in, values and a status per key come out, in one bpf(2)
 * call per batch instead of one per key; and a value found is a pointer the
 * program can add to atomically (`lock *(u64 *)(v + off) += d`) or
 * compare-and-swap, which user space alone cannot do.
 *
 * Scratch layout: keys [0, C*KS), values or deltas [VAL, VAL + C*VS),
 * a u64 status per key [STATUS, STATUS + C*8), a zeroed value [ZERO, +VS).
 */
import { flatMemberSpecs, type MapSpec, type TypeSpec } from '@bpfmaps/schema';
import { BpfError } from '../errors.js';
import { addressOf, lastErrno, native, viewOf, type Pointer } from '../ffi/libbpf.js';
import { errnoError } from '../errors.js';
import { Assembler, copyBytes, HELPERS, MAX_OFFSET, type Reg } from '../asm/assembler.js';
import { SyscallProgram } from '../asm/syscall-program.js';
import { RawMap } from './raw-map.js';

const BPF_MAP_TYPE_ARRAY = 2;
const BPF_F_MMAPABLE = 1 << 10;
const BPF_NOEXIST = 1;
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
/** Verifier work per program: each loop iteration is walked, so bodies times keys stay under this. */
const VERIFIER_BUDGET = 400_000;
const MAX_CAPACITY = 1024;
const MAX_SCRATCH = 1 << 20;

/** Per-key outcomes a program writes into the status slots. */
export const STATUS = { absent: 0, done: 1, failed: 2 } as const;

/** An integer member of the value that programs can add to or compare-and-swap: 4 or 8 bytes, whole. */
export interface IntField {
  name: string;
  offset: number;
  size: 4 | 8;
  signed: boolean;
}

/** The value's members that can be added to in place (counters), by name. */
export function intFields(spec: MapSpec): Map<string, IntField> {
  const value = spec.valueType;
  const out = new Map<string, IntField>();
  if (value?.kind !== 'struct' && value?.kind !== 'union') return out;
  for (const m of flatMemberSpecs(value)) {
    const t = m.type;
    if (m.bits || m.bitOffset % 8 || t.kind !== 'int' || t.bigEndian) continue;
    if ((t.size === 4 || t.size === 8) && (m.bitOffset / 8) % t.size === 0)
      out.set(m.name, { name: m.name, offset: m.bitOffset / 8, size: t.size, signed: t.signed });
  }
  return out;
}

let available: boolean | undefined;

/**
 * Whether this kernel and process run syscall programs (kernel 5.14+, with
 * CAP_BPF or root): probed once by loading the smallest one. The environment
 * variable BPFMAPS_KERNEL_OPS=0 says no (to force the per-key fallback).
 */
export function kernelOpsAvailable(): boolean {
  if (/^(0|false|off|no)$/i.test(process.env.BPFMAPS_KERNEL_OPS ?? '')) return false;
  if (available !== undefined) return available;
  try {
    SyscallProgram.load(
      'bpfmaps_probe',
      new Assembler().movImm(0, 0).exit().assemble(),
      8,
      'probe',
    ).close();
    available = true;
  } catch (error) {
    // Out of descriptors or memory says nothing of the kernel: throw, and probe again next time,
    // rather than run every later add() by the lossy path.
    if (error instanceof BpfError && error.code === 'SYSTEM') throw error;
    available = false;
  }
  return available;
}

/** The byte offset of a `struct bpf_spin_lock` in a value's type, at any depth. */
function spinLockOffset(type: TypeSpec | undefined, base = 0): number | undefined {
  if (type?.kind !== 'struct' && type?.kind !== 'union') return undefined;
  if (type.name === 'bpf_spin_lock') return base;
  for (const m of type.members) {
    const at = spinLockOffset(m.type, base + m.bitOffset / 8);
    if (at !== undefined) return at;
  }
  return undefined;
}

const round8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * The scratch array and programs of one map. Programs are written the first
 * time an operation needs them and hold the map until close().
 */
export class KernelBatch implements Disposable {
  readonly capacity: number;
  readonly keySlot: number;
  readonly valueSlot: number;
  readonly valueAt: number;
  readonly statusAt: number;
  readonly zeroAt: number;
  /** The scratch memory, shared with the programs. */
  readonly view: DataView;
  readonly #scratch: RawMap;
  readonly #scratchFd: number;
  readonly #mapFd: number;
  readonly #pointer: Pointer;
  readonly #length: number;
  readonly #programs = new Map<string, SyscallProgram>();
  readonly #name: string;
  readonly #valueSize: number;
  /** Whether getMany's program can copy values: each byte within an instruction's offset. */
  readonly copies: boolean;
  /** Where the value's bpf_spin_lock is, if it has one. */
  readonly #lockAt: number | undefined;

  constructor(map: RawMap, op: string) {
    this.#name = map.name;
    this.#valueSize = map.info.valueSize;
    this.copies = this.#valueSize <= MAX_OFFSET + 1;
    this.#lockAt = spinLockOffset(map.spec.valueType);
    this.#mapFd = map.fd(op);
    this.keySlot = round8(map.info.keySize);
    this.valueSlot = round8(map.info.valueSize);
    // The largest program body (a copy of the value, the add of every field) sets how many keys a run takes.
    const body = 40 + (this.valueSlot / 8) * 2 + intFields(map.spec).size * 3;
    const perKey = this.keySlot + this.valueSlot + 8;
    let capacity = MAX_CAPACITY;
    while (capacity > 1 && (capacity * body > VERIFIER_BUDGET || capacity * perKey > MAX_SCRATCH))
      capacity /= 2;
    this.capacity = capacity;
    this.valueAt = capacity * this.keySlot;
    this.statusAt = this.valueAt + capacity * this.valueSlot;
    this.zeroAt = this.statusAt + capacity * 8;
    const size = this.zeroAt + this.valueSlot;
    this.#scratch = RawMap.create({
      name: `${map.name.slice(0, 11)}_ops`,
      kind: 'array',
      type: BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: size,
      maxEntries: 1,
      flags: BPF_F_MMAPABLE,
    });
    const lib = native();
    const page = lib.sysconf(30);
    this.#length = Math.ceil(size / page) * page;
    const fd = this.#scratch.fd(op);
    const pointer = lib.mmap(0, this.#length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (addressOf(pointer) === 0xffffffffffffffffn) {
      const errno = lastErrno();
      this.#scratch.close();
      throw errnoError(errno, 'element', op, `${map.name} (mapping its scratch array)`);
    }
    this.#scratchFd = fd;
    this.#pointer = pointer;
    this.view = new DataView(viewOf(pointer, this.#length));
  }

  /** The program called `name`, written by `write` the first time. */
  program(name: string, write: (asm: Assembler) => void): SyscallProgram {
    let program = this.#programs.get(name);
    if (!program) {
      const asm = new Assembler();
      write(asm);
      program = SyscallProgram.load(`bpfmaps_${name}`, asm.assemble(), 8, `map ${this.#name}`);
      this.#programs.set(name, program);
    }
    return program;
  }

  /** Runs `program` over the first `n` slots; returns its return value. */
  run(program: SyscallProgram, n: number): number {
    program.ctx.view.setUint32(0, n, true);
    return program.run(`map ${this.#name}`);
  }

  /**
   * The loop every program shares: r6 the context, r7 how many keys, r8 the
   * slot; `body` runs with r2 at the slot's key and may jump to 'next'.
   */
  loop(asm: Assembler, body: (asm: Assembler) => void): void {
    const c = this.capacity;
    asm.mov(6, 1).load(4, 7, 6, 0).jumpImm('le', 7, c, 'clamped').movImm(7, c).label('clamped');
    asm.movImm(8, 0).label('loop').jump('ge', 8, 7, 'end').jumpImm('ge', 8, c, 'end');
    this.slot(asm, 2, 0, this.keySlot);
    body(asm);
    asm.label('next').aluImm('add', 8, 1).goto('loop');
    asm.label('end').movImm(0, 0).exit();
  }

  /** reg = scratch + at + r8 * stride (a pointer into slot r8 of a region). */
  slot(asm: Assembler, reg: Reg, at: number, stride: number): void {
    asm
      .loadMapValue(reg, this.#scratchFd, at)
      .mov(3, 8)
      .aluImm('mul', 3, stride)
      .alu('add', reg, 3);
  }

  /** r0 = the map's value for the key at r2 (or null). */
  lookup(asm: Assembler): void {
    asm.loadMap(1, this.#mapFd).call(HELPERS.mapLookupElem);
  }

  /** The status of slot r8 := `status`, through r9. */
  status(asm: Assembler, status: number): void {
    this.slot(asm, 9, this.statusAt, 8);
    asm.storeImm(8, 9, 0, status);
  }

  /**
   * Copies the value at r0 to the slot at r4, through r1: its bytes, not
   * its slot's (a program may not read past the value), and not a
   * bpf_spin_lock's, which programs may not load (zero in the copy, as the
   * kernel's own copies leave it).
   */
  copyValue(asm: Assembler): void {
    const lock = this.#lockAt;
    if (lock === undefined) return copyBytes(asm, 4, 0, 0, 0, this.#valueSize, 1);
    copyBytes(asm, 4, 0, 0, 0, lock, 1);
    asm.storeImm(4, 4, lock, 0);
    copyBytes(asm, 4, lock + 4, 0, lock + 4, this.#valueSize - lock - 4, 1);
  }

  /** Programs for getMany (copy true) and hasMany (copy false). */
  lookupProgram(copy: boolean): SyscallProgram {
    return this.program(copy ? 'get' : 'has', (asm) =>
      this.loop(asm, (a) => {
        this.lookup(a);
        a.jumpImm('ne', 0, 0, 'found');
        this.status(a, STATUS.absent);
        a.goto('next').label('found');
        this.status(a, STATUS.done);
        if (!copy) return;
        this.slot(a, 4, this.valueAt, this.valueSlot);
        this.copyValue(a);
      }),
    );
  }

  /**
   * The program that adds each slot's delta (value-shaped, at the value
   * region) to `fields` of the key's value, atomically; a missing key is
   * inserted zeroed first (status failed where that fails: the map is full).
   */
  addProgram(fields: readonly IntField[]): SyscallProgram {
    return this.program(`add_${fields.map((f) => f.offset).join('_')}`, (asm) =>
      this.loop(asm, (a) => {
        this.lookup(a);
        a.jumpImm('ne', 0, 0, 'have');
        // Insert zeroes, then look up again: a concurrent insert wins, and is added to.
        this.slot(a, 2, 0, this.keySlot);
        a.loadMapValue(3, this.#scratchFd, this.zeroAt).movImm(4, BPF_NOEXIST);
        a.loadMap(1, this.#mapFd).call(HELPERS.mapUpdateElem);
        this.slot(a, 2, 0, this.keySlot);
        this.lookup(a);
        a.jumpImm('ne', 0, 0, 'have');
        this.status(a, STATUS.failed);
        a.goto('next').label('have');
        this.slot(a, 4, this.valueAt, this.valueSlot);
        for (const f of fields) {
          if (f.offset + f.size - 1 <= MAX_OFFSET) {
            a.load(f.size, 1, 4, f.offset).atomicAdd(f.size, 0, f.offset, 1);
            continue;
          }
          // Past an instruction's 16-bit offset: point at the field first.
          a.mov(3, 4).aluImm('add', 3, f.offset).load(f.size, 1, 3, 0);
          a.mov(5, 0).aluImm('add', 5, f.offset).atomicAdd(f.size, 5, 0, 1);
        }
        this.status(a, STATUS.done);
      }),
    );
  }

  /**
   * The program that compare-and-swaps `field` of slot 0's key: expected at
   * value[0..8), desired at [8..16); what the field held comes back at
   * [16..24). Status: absent, done (swapped) or failed (it held another value).
   */
  swapProgram(field: IntField): SyscallProgram {
    const at = this.valueAt;
    return this.program(`cas_${field.offset}_${field.size}`, (asm) => {
      asm.loadMapValue(2, this.#scratchFd, 0);
      this.lookup(asm);
      asm.loadMapValue(9, this.#scratchFd, this.statusAt);
      asm.jumpImm('ne', 0, 0, 'have').storeImm(8, 9, 0, STATUS.absent).goto('end');
      asm.label('have').mov(6, 0).loadMapValue(4, this.#scratchFd, at);
      asm.load(field.size, 0, 4, 0).load(field.size, 1, 4, 8);
      const far = field.offset + field.size - 1 > MAX_OFFSET;
      if (far) asm.aluImm('add', 6, field.offset); // past an instruction's 16-bit offset
      asm.compareExchange(field.size, 6, far ? 0 : field.offset, 1);
      asm.store(field.size, 4, 16, 0).load(field.size, 2, 4, 0);
      asm.storeImm(8, 9, 0, STATUS.done).jump('eq', 0, 2, 'end');
      asm.storeImm(8, 9, 0, STATUS.failed);
      asm.label('end').movImm(0, 0).exit();
    });
  }

  close(): void {
    if (this.#scratch.closed) return;
    for (const p of this.#programs.values()) p.close();
    this.#programs.clear();
    native().munmap(this.#pointer, this.#length);
    this.#scratch.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** The BpfError for keys a program could not add to: the map is full. */
export function mapFullError(
  op: string,
  name: string,
  key: unknown,
  applied: number,
  total: number,
): BpfError {
  return new BpfError({
    code: 'MAP_FULL',
    op,
    target: name,
    key,
    detail: `the key is not in the map and there is no room to add it${total > 1 ? `; ${applied} of the ${total} entries were applied, each alone` : ''}`,
  });
}
