/**
 * The BTF of maps and objects, as the schema's reader sees it: libbpf fetches
 * it (btf__load_from_kernel_by_id, bpf_object__btf) and hands out its raw
 * bytes (btf__raw_data), which @bpfmaps/schema's Btf parses into TypeSpecs,
 * the same data the schema computes, so the two compare directly.
 */
import { Btf, type CompositeTypeSpec, type TypeSpec } from '@bpfmaps/schema';
import { BpfError, errnoError, errnoName } from '../errors.js';
import { lastErrno, native, viewOf, type Pointer } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';

/** The BTF libbpf holds at `btf`, copied out and parsed; `source` names it in errors. */
export function readBtf(btf: Pointer, source: string): Btf {
  const size = new NativeBuffer(4);
  try {
    const data = native().btfRawData(btf, size.address);
    const length = size.view.getUint32(0, true);
    if (!data || length === 0) return new Btf(new Uint8Array(), source);
    return new Btf(new Uint8Array(viewOf(data, length).slice(0)), source);
  } finally {
    size.free();
  }
}

/** Running out of these is passing: a check skipped for it would pass unseen. */
const RESOURCES = new Set(['EMFILE', 'ENFILE', 'ENOMEM']);

/**
 * The key and value types of a map's BTF, or undefined when the map has
 * none or this process may not read it (BPF_BTF_GET_FD_BY_ID wants
 * CAP_SYS_ADMIN). Throws BpfError SYSTEM when reading it ran out of file
 * descriptors or memory, rather than skip the check; INCOMPATIBLE when the
 * kernel's BTF cannot be read. `target` names the map.
 */
export function mapBtfTypes(
  btfId: number,
  keyTypeId: number,
  valueTypeId: number,
  target: string,
): { key?: TypeSpec; value?: TypeSpec } | undefined {
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
    const btf = readBtf(ptr, `the BTF of map ${target}`);
    return {
      ...(keyTypeId ? { key: btf.typeSpec(keyTypeId) } : {}),
      ...(valueTypeId ? { value: btf.typeSpec(valueTypeId) } : {}),
    };
  } catch (error) {
    if (error instanceof BpfError) throw error;
    throw new BpfError({
      code: 'INCOMPATIBLE',
      op: 'open map',
      target,
      detail: `its BTF cannot be read (${(error as Error).message})`,
    });
  } finally {
    native().btfFree(ptr);
  }
}

/** Struct `cName` of `btf`, or undefined when it has none. */
export function structType(btf: Btf, cName: string): CompositeTypeSpec | undefined {
  const [found] = btf.named(cName, 'struct');
  return found ? (btf.typeSpec(found.id) as CompositeTypeSpec) : undefined;
}

/** A variable of a DATASEC: where it lies in its section, and its type. */
export interface SectionVariable {
  name: string;
  offset: number;
  size: number;
  type: TypeSpec;
}

/**
 * The DATASEC `id` of an object's BTF (whose offsets libbpf fixed up when it
 * opened the object): its name (the ELF section) and its variables.
 * Undefined when `id` is not a DATASEC.
 */
export function datasec(
  btf: Btf,
  id: number,
): { name: string; variables: SectionVariable[] } | undefined {
  const section = btf.type(id);
  if (section.kind !== 'datasec') return undefined;
  const variables = section
    .entries!.map((e) => ({ entry: e, variable: btf.type(e.type) }))
    // A DATASEC may also list functions (.ksyms); only variables are globals.
    .filter(({ variable }) => variable.kind === 'var')
    .map(({ entry, variable }) => ({
      name: variable.name,
      offset: entry.offset,
      size: entry.size,
      type: btf.typeSpec(variable.type),
    }));
  return { name: section.name, variables };
}
