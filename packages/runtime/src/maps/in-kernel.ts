/**
 * getMany, hasMany, addMany and compare-and-swap: done in the kernel, up to
 * a batch of keys per bpf(2) call, through the programs of kernel-batch.ts
 * where the kind allows and the kernel runs syscall programs; else key by
 * key through bpf(2) (the fallback gives the same results, but its adds and
 * swaps are a lookup and an update, not atomic against kernel programs).
 */
import { BpfError, errnoError, formatReceived, encodingIn } from '../errors.js';
import { native } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';
import type { BulkTarget, KeyCheck } from './batch.js';
import {
  intFields,
  mapFullError,
  STATUS,
  type IntField,
  type KernelBatch,
} from './kernel-batch.js';

const ENOENT = 2;
const BPF_ANY = 0;
const BPF_NOEXIST = 1;
const BPF_EXIST = 2;

/** A change to a value's integer fields: `{ packets: 1, bytes: 1500n }`. */
export type Delta = Readonly<Record<string, number | bigint>>;

/** What the in-kernel operations need of a keyed map, beyond the bulk ones'. */
export interface KernelTarget<K, V> extends BulkTarget<K, V> {
  readonly checkKey: KeyCheck<K>;
  /** The map's scratch and programs, or undefined where the kernel path is not available. */
  kernel(op: string): KernelBatch | undefined;
}

/** Looks up every key; values (copy) or only whether each is there. */
export function lookupMany<K, V>(
  map: KernelTarget<K, V>,
  keys: readonly K[],
  copy: boolean,
  op: string,
): (V | undefined)[] | boolean[] {
  const kernel = map.kernel(op);
  // Values past 32 KiB are copied key by key: a program's loads reach 32 KiB into a value.
  if (!kernel || (copy && !kernel.copies)) return lookupEach(map, keys, copy, op);
  const program = kernel.lookupProgram(copy);
  const { view, capacity, keySlot, valueSlot, valueAt, statusAt } = kernel;
  const { keyCodec, valueCodec } = map;
  const out: unknown[] = new Array(keys.length);
  for (let at = 0; at < keys.length; at += capacity) {
    const n = Math.min(capacity, keys.length - at);
    for (let i = 0; i < n; i++) {
      const key = keys[at + i]!;
      try {
        keyCodec.encode(view, i * keySlot, key);
        map.checkKey(view, i * keySlot, key, op);
      } catch (error) {
        throw encodingIn(error, `${op} ${map.name} key ${at + i}`);
      }
    }
    kernel.run(program, n);
    for (let i = 0; i < n; i++) {
      const found = view.getUint32(statusAt + i * 8, true) === STATUS.done;
      out[at + i] = copy
        ? found
          ? valueCodec.decode(view, valueAt + i * valueSlot)
          : undefined
        : found;
    }
  }
  return out as (V | undefined)[] | boolean[];
}

/** The fallback: one lookup syscall per key. */
function lookupEach<K, V>(
  map: KernelTarget<K, V>,
  keys: readonly K[],
  copy: boolean,
  op: string,
): (V | undefined)[] | boolean[] {
  const lib = native();
  const ks = map.keyCodec.size;
  const memory = new NativeBuffer(ks + map.valueCodec.size);
  try {
    return keys.map((key, i) => {
      try {
        map.keyCodec.encode(memory.view, 0, key);
        map.checkKey(memory.view, 0, key, op);
      } catch (error) {
        throw encodingIn(error, `${op} ${map.name} key ${i}`);
      }
      const ret = lib.lookup(map.raw.fd(op), memory.address, memory.address + ks);
      if (ret === -ENOENT) return copy ? undefined : false;
      if (ret < 0) throw errnoError(ret, map.errnoClass, op, map.name, { key });
      return copy ? map.valueCodec.decode(memory.view, ks) : true;
    }) as (V | undefined)[] | boolean[];
  } finally {
    memory.free();
  }
}

/** The fields a delta names, checked: each an integer field of 4 or 8 bytes, each amount an integer that fits. */
/**
 * Refuses what adds and swaps cannot serve: per-CPU values (a copy per
 * CPU) and LPM tries, whose lookup finds the longest prefix covering a key,
 * so that a read-modify-write could change another entry.
 */
function checkReadModifyWrite(map: BulkTarget<unknown, unknown>, op: string): void {
  const kind = map.raw.kind;
  const detail = kind.perCpu
    ? 'a per-CPU value is a copy per CPU, which programs add to without atomics: write the copies with setAll(), or read them summed with getReduced()'
    : !kind.exactLookup
      ? `a lookup in an ${kind.name} finds the longest prefix covering the key, not the key, so ${op} could read and change another entry's value; write exact prefixes with set() (get() too finds the longest prefix)`
      : undefined;
  if (detail) throw new BpfError({ code: 'NOT_SUPPORTED', op, target: map.name, detail });
}

/** The integer field of 4 or 8 bytes named `name`, or INVALID naming those there are. */
function intField<K>(
  map: BulkTarget<K, unknown>,
  fields: ReadonlyMap<string, IntField>,
  name: string,
  key: K,
  op: string,
): IntField {
  const field = fields.get(name);
  if (field) return field;
  throw new BpfError({
    code: 'INVALID',
    op,
    target: map.name,
    key,
    detail: `${name} is no integer field of 4 or 8 bytes of the value (what ${op} works on); it has: ${[...fields.keys()].join(', ') || 'none'}`,
  });
}

/** Why a number is no integer to add or store: an unsafe number needs a bigint. */
function notAnInteger(value: unknown): string {
  return typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)
    ? `received ${value}, past Number.MAX_SAFE_INTEGER, where a number is no longer exact: pass a bigint`
    : `received ${formatReceived(value)}`;
}

/** The fields a delta names, checked: each an integer field of 4 or 8 bytes, each amount an integer that fits. */
function checkDeltas<K>(
  map: BulkTarget<K, unknown>,
  entries: readonly (readonly [K, Delta])[],
  op: string,
): IntField[] {
  checkReadModifyWrite(map, op);
  const fields = intFields(map.raw.spec);
  const used = new Map<string, IntField>();
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[1] !== 'object' || !entry[1])
      throw new BpfError({
        code: 'INVALID',
        op,
        target: map.name,
        detail: `expected [key, { field: amount }] pairs, received ${formatReceived(entry)}`,
      });
    const [key, delta] = entry;
    for (const name in delta) {
      if (!Object.hasOwn(delta, name)) continue;
      const amount = delta[name];
      const field = used.get(name) ?? intField(map, fields, name, key, op);
      // Numbers without BigInt (this is per entry): every safe integer fits 64 bits.
      const range = AMOUNTS[field.size];
      if (!integerIn(amount, range))
        throw new BpfError({
          code: 'INVALID',
          op,
          target: map.name,
          key,
          detail: `the amount for ${field.name} must be an integer from ${range.min} to ${range.max} (${field.size * 8} bits, wrapping; a negative one subtracts), ${notAnInteger(amount)}`,
        });
      used.set(name, field);
    }
  }
  return [...used.values()].sort((a, b) => a.offset - b.offset);
}

/** What an amount may be for a field of 4 or 8 bytes, signed or not (a negative one subtracts). */
const AMOUNTS = { 4: range(-(2n ** 31n), 2n ** 32n - 1n), 8: range(-(2n ** 63n), 2n ** 64n - 1n) };

/** Integers from min to max, the bounds also as numbers (exact against any safe integer). */
interface Range {
  min: bigint;
  max: bigint;
  minNumber: number;
  maxNumber: number;
}

function range(min: bigint, max: bigint): Range {
  return { min, max, minNumber: Number(min), maxNumber: Number(max) };
}

/** Whether `value` is an integer in `r`: a safe number (no BigInt on this per-entry path), or a bigint. */
function integerIn(value: unknown, r: Range): boolean {
  return typeof value === 'number'
    ? Number.isSafeInteger(value) && value >= r.minNumber && value <= r.maxNumber
    : typeof value === 'bigint' && value >= r.min && value <= r.max;
}

/** Writes `amount` at `offset` as the field's width, two's complement (a negative amount subtracts). */
function writeInt(view: DataView, offset: number, size: 4 | 8, amount: number | bigint): void {
  if (typeof amount === 'number') {
    // Two halves, no BigInt: the per-entry path.
    const lo = amount >>> 0;
    if (size === 4) return view.setUint32(offset, lo, true);
    view.setUint32(offset, lo, true);
    view.setUint32(offset + 4, Math.floor(amount / 4294967296) >>> 0, true);
    return;
  }
  if (size === 8) view.setBigUint64(offset, BigInt.asUintN(64, amount), true);
  else view.setUint32(offset, Number(BigInt.asUintN(32, amount)), true);
}

function readInt(view: DataView, offset: number, field: IntField): bigint {
  return field.size === 8
    ? field.signed
      ? view.getBigInt64(offset, true)
      : view.getBigUint64(offset, true)
    : BigInt(field.signed ? view.getInt32(offset, true) : view.getUint32(offset, true));
}

/**
 * Adds each delta to its key's fields. In the kernel each key's adds are
 * atomic (`__sync_fetch_and_add`): exact under concurrent kernel increments.
 * A missing key is inserted as zeroes first. Every key and delta is checked
 * before anything is added; a key there is no room for is MAP_FULL, thrown
 * once the others are applied.
 */
export function addMany<K, V>(
  map: KernelTarget<K, V>,
  entries: readonly (readonly [K, Delta])[],
  op: string,
): void {
  const fields = checkDeltas(map, entries, op);
  const check = new DataView(new ArrayBuffer(map.keyCodec.size));
  entries.forEach(([key], i) => {
    try {
      map.keyCodec.encode(check, 0, key);
      map.checkKey(check, 0, key, op);
    } catch (error) {
      throw encodingIn(error, `${op} ${map.name} entry ${i}`);
    }
  });
  map.raw.fd(op); // a closed map refuses even an empty list
  if (entries.length === 0) return;
  const kernel = map.kernel(op);
  if (!kernel) return addEach(map, entries, fields, op);
  const program = kernel.addProgram(fields);
  const { view, capacity, keySlot, valueSlot, valueAt, statusAt } = kernel;
  let applied = 0;
  let failed: { key: K } | undefined;
  for (let at = 0; at < entries.length; at += capacity) {
    const n = Math.min(capacity, entries.length - at);
    for (let i = 0; i < n; i++) {
      const [key, delta] = entries[at + i]!;
      map.keyCodec.encode(view, i * keySlot, key);
      for (const f of fields)
        writeInt(view, valueAt + i * valueSlot + f.offset, f.size, delta[f.name] ?? 0);
    }
    kernel.run(program, n);
    for (let i = 0; i < n; i++) {
      if (view.getUint32(statusAt + i * 8, true) === STATUS.done) applied++;
      else failed ??= { key: entries[at + i]![0] };
    }
  }
  if (failed) throw mapFullError(op, map.name, failed.key, applied, entries.length);
}

/** The fallback: a lookup and an update per key (not atomic against kernel programs). */
function addEach<K, V>(
  map: KernelTarget<K, V>,
  entries: readonly (readonly [K, Delta])[],
  fields: readonly IntField[],
  op: string,
): void {
  const lib = native();
  const ks = map.keyCodec.size;
  const memory = new NativeBuffer(ks + map.valueCodec.size);
  const value = new DataView(memory.view.buffer, memory.view.byteOffset + ks, map.valueCodec.size);
  let applied = 0;
  try {
    for (const [key, delta] of entries) {
      map.keyCodec.encode(memory.view, 0, key);
      const fd = map.raw.fd(op);
      const found = lib.lookup(fd, memory.address, memory.address + ks);
      if (found < 0 && found !== -ENOENT)
        throw errnoError(found, map.errnoClass, op, map.name, { key });
      if (found === -ENOENT) memory.bytes.fill(0, ks);
      // Nothing to add to a value there: writing it back could only undo a program's change.
      else if (fields.length === 0) {
        applied++;
        continue;
      }
      for (const f of fields) {
        const sum = readInt(value, f.offset, f) + BigInt(delta[f.name] ?? 0);
        writeInt(value, f.offset, f.size, sum);
      }
      const ret = lib.update(
        fd,
        memory.address,
        memory.address + ks,
        found === -ENOENT ? BPF_NOEXIST : BPF_ANY,
      );
      if (ret < 0) {
        const error = errnoError(ret, map.errnoClass, op, map.name, { key });
        if (error.code === 'MAP_FULL')
          throw mapFullError(op, map.name, key, applied, entries.length);
        throw error;
      }
      applied++;
    }
  } finally {
    memory.free();
  }
}

/** What a compare-and-swap found: whether it swapped, and what the field held. */
export interface SwapResult {
  swapped: boolean;
  /** What the field held before the call (the expected value when it swapped), as a bigint whatever the field. */
  previous: bigint;
}

/**
 * Sets field `name` of `key`'s value to `desired` where it holds `expected`,
 * in one atomic step in the kernel (BPF_CMPXCHG); the fallback is a lookup
 * and an update (BPF_EXIST), not atomic. Throws BpfError KEY_NOT_FOUND when
 * the key has no value, INVALID for a field that is no 4- or 8-byte integer.
 */
export function compareAndSwap<K, V>(
  map: KernelTarget<K, V>,
  key: K,
  name: string,
  expected: number | bigint,
  desired: number | bigint,
  op = 'compareAndSwap',
): SwapResult {
  checkReadModifyWrite(map, op);
  const field = intField(map, intFields(map.raw.spec), name, key, op);
  const bits = BigInt(field.size * 8);
  const holds = field.signed
    ? range(-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n)
    : range(0n, (1n << bits) - 1n);
  for (const [what, value] of [
    ['expected', expected],
    ['desired', desired],
  ] as const) {
    if (!integerIn(value, holds))
      throw new BpfError({
        code: 'INVALID',
        op,
        target: map.name,
        key,
        detail: `${what} must be what ${name} can hold, an integer from ${holds.min} to ${holds.max} (${field.signed ? 'i' : 'u'}${bits}), ${notAnInteger(value)}`,
      });
  }
  const check = new DataView(new ArrayBuffer(map.keyCodec.size));
  map.keyCodec.encode(check, 0, key);
  map.checkKey(check, 0, key, op);
  const kernel = map.kernel(op);
  if (!kernel) return swapByUpdate(map, key, field, expected, desired, op);
  const program = kernel.swapProgram(field);
  const { view, valueAt, statusAt } = kernel;
  map.keyCodec.encode(view, 0, key);
  writeInt(view, valueAt, field.size, expected);
  writeInt(view, valueAt + 8, field.size, desired);
  kernel.run(program, 1);
  const status = view.getUint32(statusAt, true);
  if (status === STATUS.absent) throw notFound(map, key, op);
  const previous = readInt(view, valueAt + 16, field);
  return { swapped: status === STATUS.done, previous };
}

function notFound<K>(map: BulkTarget<K, unknown>, key: K, op: string): BpfError {
  return new BpfError({
    code: 'KEY_NOT_FOUND',
    op,
    target: map.name,
    key,
    detail: 'the key has no value',
  });
}

function swapByUpdate<K, V>(
  map: KernelTarget<K, V>,
  key: K,
  field: IntField,
  expected: number | bigint,
  desired: number | bigint,
  op: string,
): SwapResult {
  const lib = native();
  const ks = map.keyCodec.size;
  const memory = new NativeBuffer(ks + map.valueCodec.size);
  const value = new DataView(memory.view.buffer, memory.view.byteOffset + ks, map.valueCodec.size);
  try {
    map.keyCodec.encode(memory.view, 0, key);
    const fd = map.raw.fd(op);
    const found = lib.lookup(fd, memory.address, memory.address + ks);
    if (found === -ENOENT) throw notFound(map, key, op);
    if (found < 0) throw errnoError(found, map.errnoClass, op, map.name, { key });
    const previous = readInt(value, field.offset, field);
    const bits = field.size * 8;
    if (BigInt.asUintN(bits, previous) !== BigInt.asUintN(bits, BigInt(expected)))
      return { swapped: false, previous };
    writeInt(value, field.offset, field.size, desired);
    const ret = lib.update(fd, memory.address, memory.address + ks, BPF_EXIST);
    if (ret < 0) throw errnoError(ret, map.errnoClass, op, map.name, { key });
    return { swapped: true, previous };
  } finally {
    memory.free();
  }
}

/**
 * The one integer field two encodings of a value differ in, or undefined
 * when they differ elsewhere too (or nowhere): what update() can
 * compare-and-swap.
 */
export function changedField(
  spec: BulkTarget<unknown, unknown>['raw']['spec'],
  before: Uint8Array,
  after: Uint8Array,
): IntField | undefined {
  let changed: IntField | undefined;
  const fields = [...intFields(spec).values()];
  for (let i = 0; i < before.length; i++) {
    if (before[i] === after[i]) continue;
    const field = fields.find((f) => i >= f.offset && i < f.offset + f.size);
    if (!field || (changed && changed !== field)) return undefined;
    changed = field;
  }
  return changed;
}
