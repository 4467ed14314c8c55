/**
 * Just enough ELF to read a named section of a BPF object (64-bit, little
 * endian, as clang -target bpf writes on x86-64 and arm64): the `.BTF` that
 * codegen imports schemas from and the runtime reads schema hashes in.
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
