/**
 * CO-RE programs include vmlinux.h, which declares every type of the kernel:
 * a struct, union or enum of the schema with the same C name as one of the
 * kernel's makes the program fail to compile. `codegen --vmlinux` reads the
 * kernel's BTF (the file vmlinux.h is generated from) and names each clash.
 */
import { readFileSync } from 'node:fs';
import { catalog } from '@bpfmaps/schema';
import { CodegenError } from './errors.js';
import { headerDefinitions } from './header-names.js';

/** The kernel's BTF, from which `bpftool btf dump ... format c` writes vmlinux.h. */
export const KERNEL_BTF = '/sys/kernel/btf/vmlinux';

interface KernelNames {
  /** struct, union and enum tags (one C namespace). */
  tags: Set<string>;
  /** typedefs and enum constants (the ordinary namespace). */
  identifiers: Set<string>;
}

// BTF kinds (include/uapi/linux/btf.h) and the bytes each adds after its 12-byte header.
const INT = 1, ARRAY = 3, STRUCT = 4, UNION = 5, ENUM = 6, FWD = 7, TYPEDEF = 8, FUNC_PROTO = 13, VAR = 14, DATASEC = 15, DECL_TAG = 17, ENUM64 = 19; // prettier-ignore

function trailing(kind: number, vlen: number): number {
  if (kind === INT || kind === VAR || kind === DECL_TAG) return 4;
  if (kind === ARRAY) return 12;
  if (kind === STRUCT || kind === UNION || kind === DATASEC || kind === ENUM64) return 12 * vlen;
  if (kind === ENUM || kind === FUNC_PROTO) return 8 * vlen;
  return 0;
}

/** The names a raw BTF blob declares; throws CodegenError naming the file when it is not BTF. */
export function kernelNames(path = KERNEL_BTF): KernelNames {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch (error) {
    // Only the kernel's own file is missing for want of a kernel option.
    const hint = path === KERNEL_BTF ? '; the kernel needs CONFIG_DEBUG_INFO_BTF' : '';
    throw new CodegenError(`--vmlinux: cannot read ${path} (${(error as Error).message})${hint}`);
  }
  const invalid = (why: string) =>
    new CodegenError(`--vmlinux: ${path} is not a valid BTF file: ${why}`);
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 2 || v.getUint16(0, true) !== 0xeb9f)
    throw invalid('it does not start with the BTF magic 0xeb9f');
  if (file.length < 24)
    throw invalid(`truncated at byte ${file.length}, inside the 24-byte header`);
  const headerLength = v.getUint32(4, true);
  const [typeOff, typeLen, strOff, strLen] = [8, 12, 16, 20].map((at) => v.getUint32(at, true));
  const types = headerLength + typeOff!;
  const typesEnd = types + typeLen!;
  const strings = headerLength + strOff!;
  const stringsEnd = strings + strLen!;
  const size = Math.max(typesEnd, stringsEnd);
  if (size > file.length)
    throw invalid(`truncated at byte ${file.length}: its header says it holds ${size} bytes`);
  const name = (offset: number) => {
    const start = strings + offset;
    const end = file.indexOf(0, start);
    if (offset >= strLen! || end < 0 || end >= stringsEnd)
      throw invalid(`a name at string offset ${offset} lies outside its string section`);
    return file.toString('latin1', start, end);
  };
  const names: KernelNames = { tags: new Set(), identifiers: new Set() };
  for (let at = types; at < typesEnd; ) {
    if (at + 12 > typesEnd) throw invalid(`its type section ends inside the type at byte ${at}`);
    const info = v.getUint32(at + 4, true);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const next = at + 12 + trailing(kind, vlen);
    if (next > typesEnd) throw invalid(`its type section ends inside the type at byte ${at}`);
    const own = name(v.getUint32(at, true));
    if (own && [STRUCT, UNION, ENUM, ENUM64, FWD].includes(kind)) names.tags.add(own);
    if (own && kind === TYPEDEF) names.identifiers.add(own);
    if (kind === ENUM || kind === ENUM64) {
      const size = kind === ENUM ? 8 : 12;
      for (let i = 0; i < vlen; i++)
        names.identifiers.add(name(v.getUint32(at + 12 + i * size, true)));
    }
    at = next;
  }
  return names;
}

/**
 * Throws CodegenError listing every C name of the schema module, and of
 * the `header` rendered from it (maps, helpers), that the kernel's BTF (so
 * vmlinux.h) declares too, and how to rename it.
 */
export function checkKernelNames(
  schemaModule: Record<string, unknown>,
  source: string,
  path = KERNEL_BTF,
  header?: string,
): void {
  const kernel = kernelNames(path);
  const { composites, enums, globals } = catalog(schemaModule, source);
  const clashes = [
    ...[...composites, ...enums]
      .filter((d) => kernel.tags.has(d.cName))
      .map(
        (d) =>
          `${d.name} is ${'keyword' in d ? d.keyword : 'enum'} ${d.cName} in C, which the kernel declares too: give it another cName`,
      ),
    ...enums.flatMap((e) =>
      e
        .constants()
        .filter((k) => kernel.identifiers.has(k.name))
        .map(
          (k) =>
            `${e.name}'s constant ${k.name} is declared by the kernel too: give ${e.name} another cName`,
        ),
    ),
    // vmlinux.h declares types only, so its typedefs are what a map or helper name can meet.
    ...(header ? headerDefinitions(header) : [])
      .filter((d) => kernel.identifiers.has(d.name))
      .map(
        (d) =>
          `${d.what === 'map' ? 'map' : 'helper function'} ${d.name} is a name the kernel declares too (a typedef or enum constant in vmlinux.h): rename the map`,
      ),
    ...globals.flatMap(({ decl }) =>
      Object.keys(decl.variables)
        .filter((name) => kernel.identifiers.has(name))
        .map((name) => `global ${name} is declared by the kernel too: rename the global`),
    ),
  ];
  if (clashes.length > 0) {
    throw new CodegenError(
      `${source}: a program that includes vmlinux.h cannot include this header:\n  ${clashes.join('\n  ')}`,
    );
  }
}
