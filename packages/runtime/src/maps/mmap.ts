import { flatMemberSpecs, type MapSpec } from '@bpfmaps/schema';
import * as check from '@bpfmaps/schema/codec';
import type { Codec } from '../codec.js';
import { BpfError, closedError, errnoError } from '../errors.js';
import { addressOf, lastErrno, native, viewOf, type Pointer } from '../ffi/libbpf.js';
import { outOfRange } from './index-range.js';
import type { RawMap } from './raw-map.js';

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const BPF_F_MMAPABLE = 1 << 10;

/** One scalar field of every value of a mapped array, read and written in place. */
export interface MmapField<T> {
  readonly name: string;
  /** The field of value `index`: one load, nothing else decoded. */
  get(index: number): T;
  /** Writes the field of value `index` alone (checked first; the rest of the value is not touched). */
  set(index: number, value: T): void;
}

type Reader = (view: DataView, at: number) => unknown;
type Writer = (view: DataView, at: number, value: unknown, path: string) => void;

/**
 * How to read and write a scalar field: `asNumber` for a 64-bit integer the
 * schema decodes to a number. Undefined for other types (strings, arrays,
 * nested structs), which field() refuses.
 */
function scalarAccess(
  spec: { kind: string; size?: number; signed?: boolean; bigEndian?: true; bool?: true },
  asNumber: boolean,
): { read: Reader; write: Writer } | undefined {
  const le = !spec.bigEndian;
  if (spec.kind === 'float')
    return spec.size === 4
      ? {
          read: (v, at) => v.getFloat32(at, true),
          write: (v, at, x, p) => v.setFloat32(at, check.f32(x, p, ''), true),
        }
      : {
          read: (v, at) => v.getFloat64(at, true),
          write: (v, at, x, p) => v.setFloat64(at, check.f64(x, p, ''), true),
        };
  if (spec.kind !== 'int') return undefined;
  if (spec.bool)
    return {
      read: (v, at) => v.getUint8(at) !== 0,
      write: (v, at, x, p) => v.setUint8(at, check.bool(x, p, '')),
    };
  const s = spec.signed;
  switch (spec.size) {
    case 1:
      return s
        ? {
            read: (v, at) => v.getInt8(at),
            write: (v, at, x, p) => v.setInt8(at, check.i8(x, p, '')),
          }
        : {
            read: (v, at) => v.getUint8(at),
            write: (v, at, x, p) => v.setUint8(at, check.u8(x, p, '')),
          };
    case 2:
      return s
        ? {
            read: (v, at) => v.getInt16(at, le),
            write: (v, at, x, p) => v.setInt16(at, check.i16(x, p, ''), le),
          }
        : {
            read: (v, at) => v.getUint16(at, le),
            write: (v, at, x, p) => v.setUint16(at, check.u16(x, p, ''), le),
          };
    case 4:
      return s
        ? {
            read: (v, at) => v.getInt32(at, le),
            write: (v, at, x, p) => v.setInt32(at, check.i32(x, p, ''), le),
          }
        : {
            read: (v, at) => v.getUint32(at, le),
            write: (v, at, x, p) => v.setUint32(at, check.u32(x, p, ''), le),
          };
    case 8: {
      if (asNumber && le)
        return {
          read: (v, at) => check.getInt64Number(v, at, !!s, 'u64'),
          write: (v, at, x, p) => check.setInt64Number(v, at, x, !!s, p, ''),
        };
      const wide = s ? check.i64 : check.u64;
      return {
        read: s ? (v, at) => v.getBigInt64(at, le) : (v, at) => v.getBigUint64(at, le),
        write: (v, at, x, p) => v.setBigUint64(at, BigInt.asUintN(64, wide(x, p, '')), le),
      };
    }
  }
  return undefined;
}

/**
 * The values of an array map created with BPF_F_MMAPABLE, mapped into this
 * process: get and set read and write the kernel's memory directly, with no
 * syscall. Kernel programs see writes at once; neither side is atomic beyond
 * what the CPU gives a single aligned load or store.
 */
export class MmapArray<V> implements Disposable {
  readonly length: number;
  readonly #codec: Codec<V>;
  readonly #stride: number;
  readonly #size: number;
  #ptr: Pointer | null;
  #view: DataView | null;

  readonly #name: string;
  readonly #spec: MapSpec;

  constructor(map: RawMap, codec: Codec<V>) {
    const { info } = map;
    this.#name = map.name;
    this.#spec = map.spec;
    if ((info.flags & BPF_F_MMAPABLE) === 0) {
      throw new BpfError({
        code: 'NOT_SUPPORTED',
        op: 'mmap',
        target: map.name,
        detail: 'the array was not created with BPF_F_MMAPABLE (flags: mapFlags.mmapable)',
      });
    }
    if (map.readOnly) {
      // mmap(2) drops VM_SHARED for a file opened read-only, and the kernel maps BPF arrays only shared.
      throw new BpfError({
        code: 'PERMISSION',
        op: 'mmap',
        target: map.name,
        detail:
          'the map was opened read-only ({ readOnly: true }), and the kernel maps a map only through an fd that may write it; read it with get(), or open the pin without readOnly',
      });
    }
    this.length = info.maxEntries;
    this.#codec = codec;
    this.#stride = Math.ceil(info.valueSize / 8) * 8;
    const lib = native();
    const page = lib.sysconf(30); // _SC_PAGESIZE
    this.#size = Math.ceil((this.#stride * this.length) / page) * page;
    const ptr = lib.mmap(0, this.#size, PROT_READ | PROT_WRITE, MAP_SHARED, map.fd('mmap'), 0);
    if (addressOf(ptr) === 0xffffffffffffffffn)
      throw errnoError(lastErrno(), 'element', 'mmap', map.name);
    this.#ptr = ptr;
    this.#view = new DataView(viewOf(ptr, this.#size));
  }

  #at(index: number): DataView {
    const view = this.#view;
    if (view !== null && index >>> 0 === index && index < this.length) return view;
    if (view === null) throw closedError('mmap', `map ${this.#name}`);
    throw outOfRange('mmap', this.#name, index, this.length);
  }

  get(index: number): V {
    const view = this.#view;
    // The common case inline (this is the no-syscall fast path); #at throws for the rest.
    if (view !== null && index >>> 0 === index && index < this.length)
      return this.#codec.decode(view, index * this.#stride);
    return this.#codec.decode(this.#at(index), index * this.#stride);
  }

  /** Writes the whole value in place (checked first; nothing is written when invalid). */
  set(index: number, value: V): void {
    const view = this.#at(index);
    const scratch = new DataView(new ArrayBuffer(this.#stride));
    this.#codec.encode(scratch, 0, value);
    new Uint8Array(view.buffer, index * this.#stride, this.#stride).set(
      new Uint8Array(scratch.buffer),
    );
  }

  /**
   * Field `name` of every value, read and written alone: one load or store,
   * no decoding of the rest, no syscall (`mem.field('packets').get(7)`).
   * Scalar fields only: integers, floats, booleans. Throws BpfError
   * NOT_FOUND for a name the value lacks, NOT_SUPPORTED for other types.
   */
  field<F extends keyof V & string>(name: F): MmapField<V[F]> {
    const value = this.#spec.valueType;
    const member =
      value?.kind === 'struct' || value?.kind === 'union'
        ? flatMemberSpecs(value).find((m) => m.name === name)
        : undefined;
    if (!member)
      throw new BpfError({
        code: 'NOT_FOUND',
        op: 'mmap field',
        target: `${this.#name}.${name}`,
        detail: `the value has no member ${name}${value ? '' : ' (the spec states no value type)'}`,
      });
    // The codec says whether a 64-bit integer is a bigint or (asNumber) a number.
    const sample = this.#codec.decode(new DataView(new ArrayBuffer(this.#codec.size)), 0) as Record<
      string,
      unknown
    >;
    const access = member.bits
      ? undefined
      : scalarAccess(member.type, typeof sample[name] === 'number');
    if (!access)
      throw new BpfError({
        code: 'NOT_SUPPORTED',
        op: 'mmap field',
        target: `${this.#name}.${name}`,
        detail: 'field() reads integers, floats and booleans; read the whole value with get()',
      });
    const offset = member.bitOffset / 8;
    const { read, write } = access;
    const stride = this.#stride;
    const length = this.length;
    return {
      name,
      get: (index) => {
        // The common case inline, as in get(): this is the one-load fast path.
        const view = this.#view;
        if (view !== null && index >>> 0 === index && index < length)
          return read(view, index * stride + offset) as V[F];
        return read(this.#at(index), index * stride + offset) as V[F];
      },
      set: (index, v) =>
        write(this.#at(index), index * stride + offset, v, `${this.#name}[${index}].${name}`),
    };
  }

  *values(): IterableIterator<V> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  close(): void {
    if (!this.#ptr) return;
    this.#view = null;
    native().munmap(this.#ptr, this.#size);
    this.#ptr = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
