import { BufferReader, BufferWriter } from 'typed-binary';
import type { CType } from './types/base.js';

/**
 * Reference codec built on typed-binary's reader and writer: slow, simple and
 * independent of the generated codecs, which are tested against it.
 */
export function encodeReference<T>(
  type: CType<T>,
  value: T,
  path: string = type.label,
): Uint8Array {
  const bytes = new Uint8Array(type.size);
  type.writeChecked(new BufferWriter(bytes.buffer, { endianness: 'little' }), value, path, '');
  return bytes;
}

export function decodeReference<T>(type: CType<T>, bytes: Uint8Array): T {
  const copy = bytes.slice(0, type.size);
  return type.readValue(new BufferReader(copy.buffer, { endianness: 'little' }));
}
