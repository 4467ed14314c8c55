/**
 * CO-RE programs include vmlinux.h, which declares every type of the kernel:
 * a struct, union or enum of the schema with the same C name as one of the
 * kernel's makes the program fail to compile. `codegen --vmlinux` reads the
 * kernel's BTF (the file vmlinux.h is generated from) and names each clash.
 */
import { readFileSync } from 'node:fs';
import { Btf, BtfFormatError, catalog, type BtfKind } from '@bpfmaps/schema';
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

/** Kinds whose names are tags: `struct x`, `union x`, `enum x`. */
const TAGGED = new Set<BtfKind>(['struct', 'union', 'enum', 'enum64', 'fwd']);

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
  let btf: Btf;
  try {
    btf = new Btf(file, path);
  } catch (error) {
    if (!(error instanceof BtfFormatError)) throw error;
    throw new CodegenError(`--vmlinux: ${path} is not a valid BTF file: ${error.why}`);
  }
  const names: KernelNames = { tags: new Set(), identifiers: new Set() };
  for (const t of btf.types) {
    if (t.name && TAGGED.has(t.kind)) names.tags.add(t.name);
    if (t.name && t.kind === 'typedef') names.identifiers.add(t.name);
    for (const v of t.values ?? []) names.identifiers.add(v.name);
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
