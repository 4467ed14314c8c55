/**
 * Reads the BTF a map was created with (libbpf's btf__load_from_kernel_by_id)
 * and flattens the members of its key and value types, so opening a map can
 * compare them field by field with the schema.
 */
import koffi from 'koffi';
import type { MemberLayout } from '@bpfmaps/schema';
import { BpfError, errnoError, errnoName } from '../errors.js';
import { decode, lastErrno, native, type Pointer } from '../ffi/libbpf.js';

/** struct btf_type (uapi linux/btf.h): name, kind and vlen packed in info, then size or type. */
koffi.struct('btf_type', { name_off: 'uint32_t', info: 'uint32_t', size_or_type: 'uint32_t' });
/** struct btf_member, which follows a struct or union btf_type, vlen times. */
koffi.struct('btf_member', { name_off: 'uint32_t', type: 'uint32_t', offset: 'uint32_t' });
koffi.struct('btf_array', { type: 'uint32_t', index_type: 'uint32_t', nelems: 'uint32_t' });
/** struct btf_var_secinfo, which follows a DATASEC btf_type, vlen times. */
koffi.struct('btf_var_secinfo', { type: 'uint32_t', offset: 'uint32_t', size: 'uint32_t' });

// Kinds of include/uapi/linux/btf.h that matter here.
const INT = 1;
const PTR = 2;
const ARRAY = 3;
const STRUCT = 4;
const UNION = 5;
const ENUM = 6;
const QUALIFIERS = new Set([8, 9, 10, 11, 18]); // typedef, volatile, const, restrict, type_tag
const VAR = 14;
const DATASEC = 15;
const FLOAT = 16;
const ENUM64 = 19;

interface Raw {
  name_off: number;
  info: number;
  size_or_type: number;
}

class Btf {
  constructor(readonly ptr: Pointer) {}

  type(id: number): { raw: Raw; at: Pointer } {
    const at = native().btfTypeById(this.ptr, id);
    if (!at)
      throw new BpfError({
        code: 'INCOMPATIBLE',
        op: 'read BTF',
        target: `type ${id}`,
        detail: "the map's BTF does not have this type",
      });
    return { raw: decode<Raw>(at, 0, 'btf_type'), at };
  }

  /** Follows typedefs and qualifiers. */
  resolve(id: number): { id: number; raw: Raw; at: Pointer } {
    let t = this.type(id);
    while (QUALIFIERS.has(kind(t.raw))) {
      id = t.raw.size_or_type;
      t = this.type(id);
    }
    return { id, ...t };
  }

  size(id: number): number {
    const t = this.resolve(id);
    const k = kind(t.raw);
    if (k === PTR) return 8;
    if (k === ARRAY) {
      const a = decode<{ type: number; nelems: number }>(t.at, 12, 'btf_array');
      return this.size(a.type) * a.nelems;
    }
    if ([INT, STRUCT, UNION, ENUM, FLOAT, ENUM64].includes(k)) return t.raw.size_or_type;
    return 0;
  }

  /** Members of a struct or union, anonymous ones inlined; undefined for other types. */
  members(id: number, base = 0): MemberLayout[] | undefined {
    const t = this.resolve(id);
    const k = kind(t.raw);
    if (k !== STRUCT && k !== UNION) return undefined;
    const vlen = t.raw.info & 0xffff;
    const kindFlag = t.raw.info >>> 31 === 1;
    const out: MemberLayout[] = [];
    for (let i = 0; i < vlen; i++) {
      const m = decode<{ name_off: number; type: number; offset: number }>(
        t.at,
        12 + i * 12,
        'btf_member',
      );
      const bitOffset = base + (kindFlag ? m.offset & 0xffffff : m.offset);
      const bits = kindFlag ? m.offset >>> 24 : 0;
      const name = native().btfName(this.ptr, m.name_off) ?? '';
      if (name === '') out.push(...(this.members(m.type, bitOffset) ?? []));
      else out.push({ name, bitOffset, bits, size: this.size(m.type) });
    }
    return out;
  }
}

function kind(raw: Raw): number {
  return (raw.info >>> 24) & 0x1f;
}

/** Running out of these is passing: a check skipped for it would pass unseen. */
const RESOURCES = new Set(['EMFILE', 'ENFILE', 'ENOMEM']);

/**
 * The key and value members of a map's BTF, or undefined when the map has
 * none or this process may not read it (BPF_BTF_GET_FD_BY_ID wants
 * CAP_SYS_ADMIN). Throws BpfError SYSTEM when reading it ran out of file
 * descriptors or memory, rather than skip the check; `target` names the map.
 */
export function btfMembers(
  btfId: number,
  keyTypeId: number,
  valueTypeId: number,
  target: string,
): { key?: MemberLayout[]; value?: MemberLayout[] } | undefined {
  if (btfId === 0) return undefined;
  const ptr = native().btfLoadById(btfId);
  if (!ptr) {
    const errno = lastErrno();
    if (RESOURCES.has(errnoName(errno)))
      throw errnoError(errno, 'info', 'open map', target, {
        detail: "reading the map's BTF to check its layout",
      });
    return undefined;
  }
  try {
    const btf = new Btf(ptr);
    return {
      key: keyTypeId ? btf.members(keyTypeId) : undefined,
      value: valueTypeId ? btf.members(valueTypeId) : undefined,
    };
  } finally {
    native().btfFree(ptr);
  }
}

const STRUCT_KIND = 4;

/** The members of struct `cName` in BTF that libbpf owns (an object's); undefined when it has no such struct. */
export function structMembers(btf: Pointer, cName: string): MemberLayout[] | undefined {
  const id = native().btfFindByNameKind(btf, cName, STRUCT_KIND);
  return id > 0 ? new Btf(btf).members(id) : undefined;
}

/** A variable of a DATASEC: where it lies in its section, and its type. */
export interface SectionVariable {
  name: string;
  offset: number;
  size: number;
  /** The struct or union members of its type; undefined for other types. */
  members: MemberLayout[] | undefined;
}

/**
 * The DATASEC `id` of BTF libbpf owns (an object's, whose offsets libbpf
 * fixed up when it opened the object): its name (the ELF section) and its
 * variables. Undefined when `id` is not a DATASEC.
 */
export function datasec(
  btf: Pointer,
  id: number,
): { name: string; variables: SectionVariable[] } | undefined {
  const b = new Btf(btf);
  const { raw, at } = b.type(id);
  if (kind(raw) !== DATASEC) return undefined;
  const variables: SectionVariable[] = [];
  for (let i = 0; i < (raw.info & 0xffff); i++) {
    const v = decode<{ type: number; offset: number; size: number }>(
      at,
      12 + i * 12,
      'btf_var_secinfo',
    );
    const variable = b.type(v.type).raw;
    // A DATASEC may also list functions (.ksyms); only variables are globals.
    if (kind(variable) !== VAR) continue;
    variables.push({
      name: native().btfName(btf, variable.name_off) ?? '',
      offset: v.offset,
      size: v.size,
      members: b.members(variable.size_or_type),
    });
  }
  return { name: native().btfName(btf, raw.name_off) ?? '', variables };
}
