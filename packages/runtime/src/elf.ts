/**
 * What a BPF object's own bytes say about the schema it was built from. It
 * reads the bytes BpfObject.load handed libbpf, never the file again: what
 * is checked is what was loaded.
 */
import { Btf, readSection } from '@bpfmaps/schema';

/**
 * The schema hashes of the bpfmaps headers an object image was built from;
 * empty for an object built without one. A header names a function it never
 * calls `bpfmaps_schema_<hash>`, which the object's BTF keeps: libbpf loads
 * that silently, `bpftool gen object` links it and `llvm-strip -g` keeps it.
 * Earlier headers put the hash in a `.bpfmaps.schema` data section, still read.
 */
export function schemaHashesOf(file: Uint8Array): string[] {
  const legacy = readSection(file, '.bpfmaps.schema');
  const names = [
    ...btfStrings(file).map((s) => /^bpfmaps_schema_([0-9a-f]{16})$/.exec(s)?.[1]),
    ...(legacy ? Buffer.from(legacy).toString('latin1').split('\0') : []),
  ];
  return [...new Set(names.filter((h): h is string => !!h && /^[0-9a-f]{16}$/.test(h)))];
}

/** The names in the image's BTF (types, members, functions); empty without BTF, or with BTF this reader cannot parse. */
function btfStrings(file: Uint8Array): string[] {
  const section = readSection(file, '.BTF');
  if (!section) return [];
  try {
    return new Btf(section, '.BTF').strings();
  } catch {
    return [];
  }
}
