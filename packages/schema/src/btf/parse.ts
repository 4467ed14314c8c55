/**
 * A reader of raw BTF (include/uapi/linux/btf.h), the type information clang
 * writes into a BPF object's `.BTF` section and the kernel keeps for maps and
 * programs. One reader for every use: codegen imports schemas from objects
 * and checks names against the kernel's BTF; the runtime gets the bytes from
 * libbpf (btf__raw_data) and compares maps, events and globals with the
 * schema. Pure: no libbpf, so codegen runs where there is none.
 */
import { SchemaError } from '../errors.js';
import type { CompositeTypeSpec, MemberSpec, TypeSpec } from './type-spec.js';

/** BTF kinds, by their number in `info`. */
export const BTF_KINDS = [
  'void',
  'int',
  'ptr',
  'array',
  'struct',
  'union',
  'enum',
  'fwd',
  'typedef',
  'volatile',
  'const',
  'restrict',
  'func',
  'func_proto',
  'var',
  'datasec',
  'float',
  'decl_tag',
  'type_tag',
  'enum64',
] as const;

export type BtfKind = (typeof BTF_KINDS)[number];

export interface BtfMember {
  name: string;
  type: number;
  bitOffset: number;
  /** Bitfield width, else 0. */
  bits: number;
}

/** One type of a BTF blob, decoded. `type` is the type it refers to (pointers, typedefs, variables). */
export interface BtfType {
  id: number;
  kind: BtfKind;
  name: string;
  /** INT, STRUCT, UNION, ENUM, ENUM64, FLOAT, DATASEC. */
  size: number;
  type: number;
  kindFlag: boolean;
  /** INT: encoding bits (1 signed, 2 char, 4 bool), bit offset and width. */
  int?: { encoding: number; offset: number; bits: number };
  array?: { type: number; count: number };
  members?: BtfMember[];
  /** ENUM, ENUM64 constants (ENUM64 values beyond 2^53 lose precision). */
  values?: { name: string; value: number }[];
  /** DATASEC entries: a VAR (or FUNC, for .ksyms) and where it lies. */
  entries?: { type: number; offset: number; size: number }[];
  /** FUNC_PROTO parameters. */
  params?: { name: string; type: number }[];
  /** VAR: 0 static, 1 global, 2 extern. */
  linkage?: number;
}

const QUALIFIERS = new Set<BtfKind>(['typedef', 'volatile', 'const', 'restrict', 'type_tag']);
const BIG_ENDIAN_TYPEDEF = /^__be(16|32|64)$/;

/** Bytes each kind adds after the 12-byte common header. */
function trailing(kind: BtfKind, vlen: number): number {
  switch (kind) {
    case 'int':
    case 'var':
    case 'decl_tag':
      return 4;
    case 'array':
      return 12;
    case 'struct':
    case 'union':
    case 'datasec':
    case 'enum64':
      return 12 * vlen;
    case 'enum':
    case 'func_proto':
      return 8 * vlen;
    default:
      return 0;
  }
}

/**
 * The types of a raw BTF blob. Throws SchemaError INVALID_BTF naming
 * `source` (the file or map it came from) when the bytes are not BTF or are
 * cut short.
 */
export class Btf {
  readonly types: readonly BtfType[];
  readonly #byName = new Map<string, BtfType[]>();
  readonly #specs = new Map<number, TypeSpec>();

  constructor(
    bytes: Uint8Array,
    readonly source: string,
  ) {
    this.types = parse(bytes, source);
    for (const t of this.types) {
      if (!t.name) continue;
      const list = this.#byName.get(t.name);
      if (list) list.push(t);
      else this.#byName.set(t.name, [t]);
    }
  }

  /** The type `id`; throws SchemaError INVALID_BTF when there is none. */
  type(id: number): BtfType {
    const t = this.types[id];
    if (!t) throw invalid(this.source, `it refers to type ${id}, which it does not have`);
    return t;
  }

  /** Types called `name`, of `kind` if given. */
  named(name: string, kind?: BtfKind): BtfType[] {
    return (this.#byName.get(name) ?? []).filter((t) => !kind || t.kind === kind);
  }

  /** Follows typedefs and qualifiers to the type they name, listing the typedefs passed. */
  resolve(id: number): { type: BtfType; typedefs: string[] } {
    const typedefs: string[] = [];
    let t = this.type(id);
    for (let hops = 0; QUALIFIERS.has(t.kind); hops++) {
      if (hops > 64) throw invalid(this.source, `its typedefs of type ${id} form a loop`);
      if (t.kind === 'typedef') typedefs.push(t.name);
      t = this.type(t.type);
    }
    return { type: t, typedefs };
  }

  /** The size of type `id` in bytes, through typedefs and qualifiers. */
  sizeOf(id: number): number {
    const { type } = this.resolve(id);
    if (type.kind === 'ptr') return 8;
    if (type.kind === 'array') return this.sizeOf(type.array!.type) * type.array!.count;
    return type.size;
  }

  /** Type `id` as data (see TypeSpec); computed once per id, so shared types stay shared. */
  typeSpec(id: number): TypeSpec {
    const known = this.#specs.get(id);
    if (known) return known;
    const spec = this.#computeSpec(id);
    this.#specs.set(id, spec);
    return spec;
  }

  #computeSpec(id: number): TypeSpec {
    if (id === 0) return { kind: 'opaque', size: 0, what: 'void' };
    const { type: t, typedefs } = this.resolve(id);
    switch (t.kind) {
      case 'int': {
        const { encoding } = t.int!;
        return {
          kind: 'int',
          size: t.size,
          signed: (encoding & 1) !== 0,
          ...((encoding & 2 || t.name === 'char') && { char: true as const }),
          ...(encoding & 4 && { bool: true as const }),
          ...(typedefs.some((n) => BIG_ENDIAN_TYPEDEF.test(n)) && { bigEndian: true as const }),
        };
      }
      case 'ptr':
        return { kind: 'pointer' };
      case 'array':
        return { kind: 'array', element: this.typeSpec(t.array!.type), count: t.array!.count };
      case 'struct':
      case 'union':
        return this.#compositeSpec(t);
      case 'enum':
      case 'enum64':
        return { kind: 'enum', name: t.name, size: t.size, signed: t.kindFlag, values: t.values! };
      case 'float':
        return { kind: 'float', size: t.size };
      case 'fwd':
        return {
          kind: 'opaque',
          size: 0,
          what: `${t.kindFlag ? 'union' : 'struct'} ${t.name} (declared, not defined)`,
        };
      default:
        return { kind: 'opaque', size: 0, what: t.kind === 'func_proto' ? 'a function' : t.kind };
    }
  }

  #compositeSpec(t: BtfType): CompositeTypeSpec {
    const members: MemberSpec[] = t.members!.map((m) => {
      // Without kind_flag, a bitfield is an INT type whose own offset and width place it.
      const { type } = this.resolve(m.type);
      const legacy =
        !t.kindFlag && type.kind === 'int' && type.int!.bits !== type.size * 8 ? type.int! : null;
      return {
        name: m.name,
        bitOffset: m.bitOffset + (legacy ? legacy.offset : 0),
        bits: legacy ? legacy.bits : m.bits,
        type: this.typeSpec(m.type),
      };
    });
    return { kind: t.kind as 'struct' | 'union', name: t.name, size: t.size, members };
  }

  /** Every string of the string section (symbol names a header leaves there, for one). */
  strings(): string[] {
    return this.types.flatMap((t) => [
      t.name,
      ...(t.members ?? []).map((m) => m.name),
      ...(t.values ?? []).map((v) => v.name),
      ...(t.params ?? []).map((p) => p.name),
    ]);
  }
}

/** Bytes that are not BTF, or BTF cut short: `why` says where. */
export class BtfFormatError extends SchemaError {
  constructor(
    source: string,
    readonly why: string,
  ) {
    super('INVALID_BTF', source, `not valid BTF: ${why}`);
  }
}

function invalid(source: string, why: string): BtfFormatError {
  return new BtfFormatError(source, why);
}

function parse(bytes: Uint8Array, source: string): BtfType[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 2) throw invalid(source, 'it is empty');
  const magic = v.getUint16(0, true);
  if (magic === 0x9feb)
    throw invalid(source, 'it is big-endian, and only little-endian BTF is read here');
  if (magic !== 0xeb9f) throw invalid(source, 'it does not start with the BTF magic 0xeb9f');
  if (bytes.length < 24)
    throw invalid(source, `truncated at byte ${bytes.length}, inside the 24-byte header`);
  const headerLength = v.getUint32(4, true);
  const [typeOff, typeLen, strOff, strLen] = [8, 12, 16, 20].map((at) => v.getUint32(at, true));
  const types = headerLength + typeOff!;
  const typesEnd = types + typeLen!;
  const strings = headerLength + strOff!;
  const stringsEnd = strings + strLen!;
  const size = Math.max(typesEnd, stringsEnd);
  if (size > bytes.length)
    throw invalid(
      source,
      `truncated at byte ${bytes.length}: its header says it holds ${size} bytes`,
    );
  const decoder = new TextDecoder('latin1');
  const name = (offset: number) => {
    const start = strings + offset;
    const end = bytes.indexOf(0, start);
    if (offset >= strLen! || end < 0 || end >= stringsEnd)
      throw invalid(source, `a name at string offset ${offset} lies outside its string section`);
    return decoder.decode(bytes.subarray(start, end));
  };
  const u32 = (at: number) => v.getUint32(at, true);
  const out: BtfType[] = [
    { id: 0, kind: 'void', name: '', size: 0, type: 0, kindFlag: false } satisfies BtfType,
  ];
  for (let at = types; at < typesEnd; ) {
    if (at + 12 > typesEnd)
      throw invalid(source, `its type section ends inside the type at byte ${at}`);
    const info = u32(at + 4);
    const kindNo = (info >>> 24) & 0x1f;
    const kind = BTF_KINDS[kindNo];
    if (!kind || kind === 'void')
      throw invalid(
        source,
        `type ${out.length} has kind ${kindNo}, which this reader does not know`,
      );
    const vlen = info & 0xffff;
    const body = at + 12;
    const next = body + trailing(kind, vlen);
    if (next > typesEnd)
      throw invalid(source, `its type section ends inside the type at byte ${at}`);
    const t: BtfType = {
      id: out.length,
      kind,
      name: name(u32(at)),
      size: u32(at + 8),
      type: u32(at + 8),
      kindFlag: info >>> 31 === 1,
    };
    const kindFlag = t.kindFlag;
    switch (kind) {
      case 'int': {
        const data = u32(body);
        t.int = { encoding: (data >>> 24) & 0x0f, offset: (data >>> 16) & 0xff, bits: data & 0xff };
        break;
      }
      case 'array':
        t.array = { type: u32(body), count: u32(body + 8) };
        break;
      case 'var':
        t.linkage = u32(body);
        break;
      case 'struct':
      case 'union':
        t.members = Array.from({ length: vlen }, (_, i) => {
          const m = body + i * 12;
          const offset = u32(m + 8);
          return {
            name: name(u32(m)),
            type: u32(m + 4),
            bitOffset: kindFlag ? offset & 0xffffff : offset,
            bits: kindFlag ? offset >>> 24 : 0,
          };
        });
        break;
      case 'enum':
        t.values = Array.from({ length: vlen }, (_, i) => {
          const raw = u32(body + i * 8 + 4);
          return { name: name(u32(body + i * 8)), value: kindFlag ? raw | 0 : raw };
        });
        break;
      case 'enum64':
        t.values = Array.from({ length: vlen }, (_, i) => {
          const e = body + i * 12;
          const wide = (BigInt(u32(e + 8)) << 32n) | BigInt(u32(e + 4));
          return { name: name(u32(e)), value: Number(kindFlag ? BigInt.asIntN(64, wide) : wide) };
        });
        break;
      case 'datasec':
        t.entries = Array.from({ length: vlen }, (_, i) => ({
          type: u32(body + i * 12),
          offset: u32(body + i * 12 + 4),
          size: u32(body + i * 12 + 8),
        }));
        break;
      case 'func_proto':
        t.params = Array.from({ length: vlen }, (_, i) => ({
          name: name(u32(body + i * 8)),
          type: u32(body + i * 8 + 4),
        }));
        break;
    }
    out.push(t);
    at = next;
  }
  return out;
}
