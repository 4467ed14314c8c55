/**
 * Codec is how a typed map turns values into the bytes the kernel stores.
 * Generated modules provide compiled codecs; `referenceCodec` adapts any
 * schema type for maps used without codegen.
 */
import { encodeReference, decodeReference, type CType } from '@bpfmaps/schema';

export interface Codec<T> {
  /** Size in bytes of the encoded value (the map's key or value size). */
  readonly size: number;
  /** Checks `value` and writes exactly `size` bytes at `offset`; throws EncodeError before writing when invalid. */
  encode(view: DataView, offset: number, value: T): void;
  decode(view: DataView, offset: number): T;
}

/** A codec over the schema's typed-binary reference implementation (slower than generated codecs). */
export function referenceCodec<T>(type: CType<T>): Codec<T> {
  return {
    size: type.size,
    encode(view, offset, value) {
      const bytes = encodeReference(type, value);
      new Uint8Array(view.buffer, view.byteOffset + offset, type.size).set(bytes);
    },
    decode(view, offset) {
      return decodeReference(
        type,
        new Uint8Array(view.buffer, view.byteOffset + offset, type.size),
      );
    },
  };
}
