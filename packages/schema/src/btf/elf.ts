/**
 * Just enough ELF to read a BPF object (64-bit, little endian, as clang
 * -target bpf writes on x86-64 and arm64): its sections (the `.BTF` codegen
 * imports schemas from and the runtime reads schema hashes in) and its
 * symbols (where each global's initial value lies).
 */

/** What a file is, as far as reading a BPF object goes. */
export type ElfKind = 'elf64-le' | 'big-endian' | '32-bit' | 'not-elf';

export interface ElfSection {
  name: string;
  /** sh_type: 1 PROGBITS, 2 SYMTAB, 8 NOBITS (.bss: no bytes in the file) ... */
  type: number;
  /** Its bytes in the file (empty for NOBITS). */
  bytes: Uint8Array;
  /** sh_link: the string table of a symbol table. */
  link: number;
}

export interface ElfSymbol {
  name: string;
  /** The section it is defined in, by name ('' for none). */
  section: string;
  /** Its offset in that section, and its size. */
  offset: number;
  size: number;
}

/** Whether `image` is an ELF file this reader can read. */
export function elfKind(image: Uint8Array): ElfKind {
  if (image.length < 64 || image[0] !== 0x7f || image[1] !== 0x45 || image[2] !== 0x4c)
    return 'not-elf';
  if (image[3] !== 0x46) return 'not-elf';
  if (image[4] !== 2) return '32-bit';
  return image[5] === 1 ? 'elf64-le' : 'big-endian';
}

/** Every section of an ELF64-LE image; empty when it is not one or is cut short. */
export function readSections(image: Uint8Array): ElfSection[] {
  if (elfKind(image) !== 'elf64-le') return [];
  const file = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const shoff = Number(v.getBigUint64(0x28, true));
  const shentsize = v.getUint16(0x3a, true);
  const shnum = v.getUint16(0x3c, true);
  const shstrndx = v.getUint16(0x3e, true);
  if (shoff + shnum * shentsize > file.length || shstrndx >= shnum) return [];
  const header = (i: number) => {
    const at = shoff + i * shentsize;
    return {
      name: v.getUint32(at, true),
      type: v.getUint32(at + 4, true),
      offset: Number(v.getBigUint64(at + 0x18, true)),
      size: Number(v.getBigUint64(at + 0x20, true)),
      link: v.getUint32(at + 0x28, true),
    };
  };
  const names = header(shstrndx);
  const nameAt = (offset: number) => {
    const start = names.offset + offset;
    const end = file.indexOf(0, start);
    return file.toString('latin1', start, end < 0 ? start : end);
  };
  return Array.from({ length: shnum }, (_, i) => {
    const h = header(i);
    const inFile = h.type !== 8 && h.offset + h.size <= file.length;
    return {
      name: nameAt(h.name),
      type: h.type,
      bytes: inFile ? file.subarray(h.offset, h.offset + h.size) : new Uint8Array(),
      link: h.link,
    };
  });
}

/** The bytes of section `name` of the ELF image; undefined when there is none or it is not ELF64-LE. */
export function readSection(image: Uint8Array, name: string): Uint8Array | undefined {
  return readSections(image).find((s) => s.name === name && s.type !== 8)?.bytes;
}

/** The symbols of the image's symbol table that are defined in a section. */
export function readSymbols(image: Uint8Array): ElfSymbol[] {
  const sections = readSections(image);
  const table = sections.find((s) => s.type === 2);
  const strings = table && sections[table.link];
  if (!table || !strings) return [];
  const v = new DataView(table.bytes.buffer, table.bytes.byteOffset, table.bytes.byteLength);
  const text = Buffer.from(strings.bytes.buffer, strings.bytes.byteOffset, strings.bytes.length);
  const out: ElfSymbol[] = [];
  for (let at = 0; at + 24 <= table.bytes.length; at += 24) {
    const index = v.getUint16(at + 6, true);
    // Undefined, absolute and common symbols lie in no section.
    if (index === 0 || index >= sections.length) continue;
    const start = v.getUint32(at, true);
    const end = text.indexOf(0, start);
    out.push({
      name: text.toString('latin1', start, end < 0 ? start : end),
      section: sections[index]!.name,
      offset: Number(v.getBigUint64(at + 8, true)),
      size: Number(v.getBigUint64(at + 16, true)),
    });
  }
  return out;
}
