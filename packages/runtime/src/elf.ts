/**
 * Just enough ELF to read a named section of a BPF object (64-bit, little
 * endian, as clang -target bpf writes on x86-64 and arm64). It reads the
 * bytes BpfObject.load handed libbpf, never the file again: what is checked
 * is what was loaded.
 */

/** The bytes of section `name` of the ELF image `file`; undefined when there is none or it is not ELF64-LE. */
export function readSection(image: Uint8Array, name: string): Uint8Array | undefined {
  const file = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const ELF64 = 2;
  const LITTLE = 1;
  if (file.length < 64 || v.getUint32(0) !== 0x7f454c46 || file[4] !== ELF64 || file[5] !== LITTLE)
    return undefined;
  const shoff = Number(v.getBigUint64(0x28, true));
  const shentsize = v.getUint16(0x3a, true);
  const shnum = v.getUint16(0x3c, true);
  const shstrndx = v.getUint16(0x3e, true);
  const header = (i: number) => {
    const at = shoff + i * shentsize;
    return {
      name: v.getUint32(at, true),
      offset: Number(v.getBigUint64(at + 0x18, true)),
      size: Number(v.getBigUint64(at + 0x20, true)),
    };
  };
  if (shoff + shnum * shentsize > file.length || shstrndx >= shnum) return undefined;
  const names = header(shstrndx);
  const nameAt = (offset: number) => {
    const start = names.offset + offset;
    const end = file.indexOf(0, start);
    return file.toString('latin1', start, end < 0 ? start : end);
  };
  for (let i = 0; i < shnum; i++) {
    const section = header(i);
    if (nameAt(section.name) !== name) continue;
    if (section.offset + section.size > file.length) return undefined;
    return file.subarray(section.offset, section.offset + section.size);
  }
  return undefined;
}

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

/** BTF_MAGIC (include/uapi/linux/btf.h), as a little-endian object stores it. */
const BTF_MAGIC = 0xeb9f;

/** The string table of the image's BTF (type, member and function names); empty without BTF. */
function btfStrings(file: Uint8Array): string[] {
  const btf = readSection(file, '.BTF');
  if (!btf || btf.length < 24) return [];
  // struct btf_header: magic, version, flags, hdr_len, type_off, type_len, str_off, str_len.
  const v = new DataView(btf.buffer, btf.byteOffset, btf.byteLength);
  if (v.getUint16(0, true) !== BTF_MAGIC) return [];
  const start = v.getUint32(4, true) + v.getUint32(16, true);
  const length = v.getUint32(20, true);
  if (start + length > btf.length) return [];
  return Buffer.from(btf.buffer, btf.byteOffset + start, length)
    .toString('latin1')
    .split('\0');
}
