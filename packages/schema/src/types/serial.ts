/**
 * The byte streams the reference codec reads and writes: the part of
 * typed-binary's ISerialInput and ISerialOutput that the types use, which
 * typed-binary's BufferReader and BufferWriter implement. Spelled here so no
 * public declaration names typed-binary: its .d.ts names ES2025's Float16Array,
 * so a project on lib ES2023 with skipLibCheck off could not compile against it.
 */
export interface ByteInput {
  readUint8(): number;
  skipBytes(bytes: number): void;
}

export interface ByteOutput {
  writeUint8(value: number): void;
  writeSlice(bytes: Uint8Array): void;
}
