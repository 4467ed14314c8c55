/**
 * Decoding an event sample. The rule, the same for ring and perf buffers:
 *
 * - tagged events pick their variant by the tag at the front; a tag no
 *   variant has decodes to `{ <tag>: value, bytes }`;
 * - a sample at least as long as its struct decodes as the struct;
 * - a shorter one is accepted down to the struct's fixed part (everything
 *   before its variable-length tail): the missing bytes read as zeros, and
 *   the tail is cut to the whole elements the sample holds;
 * - a tail with a length field is also cut to that many bytes;
 * - a sample shorter than the fixed part is malformed: it is counted, not
 *   delivered.
 */
import type { EventSpec, EventVariantSpec } from '@bpfmaps/schema';
import type { Codec } from '../codec.js';

/** The event of a tag no variant has: its tag, and the sample's bytes. */
export type UnknownEvent<Tag extends string> = { [K in Tag]: number } & { bytes: Uint8Array };

export interface EventDecoder<E> {
  /** The largest event, in bytes. */
  readonly maxSize: number;
  /** The event in `size` bytes at `offset`, or undefined when the sample is malformed. */
  decode(view: DataView, offset: number, size: number): E | undefined;
}

interface Variant {
  spec: EventVariantSpec;
  codec: Codec<unknown>;
}

/** The decoder of the events `spec` describes, with the codec of each variant (in the spec's order). */
export function eventDecoder<E>(spec: EventSpec, codecs: readonly Codec<any>[]): EventDecoder<E> {
  const variants: Variant[] = spec.variants.map((v, i) => ({ spec: v, codec: codecs[i]! }));
  const maxSize = Math.max(...spec.variants.map((v) => v.size));
  // A zeroed scratch copy for samples shorter than their struct.
  const scratch = new DataView(new ArrayBuffer(maxSize));
  const decodeVariant = (
    v: Variant,
    view: DataView,
    offset: number,
    size: number,
  ): E | undefined => {
    if (size < v.spec.fixed) return undefined;
    if (size >= v.spec.size)
      return cutTail(v.spec, v.codec.decode(view, offset), view, offset, size) as E;
    new Uint8Array(scratch.buffer).fill(0);
    new Uint8Array(scratch.buffer).set(new Uint8Array(view.buffer, view.byteOffset + offset, size));
    return cutTail(v.spec, v.codec.decode(scratch, 0), scratch, 0, size) as E;
  };
  const tag = spec.tag;
  if (!tag) {
    const only = variants[0]!;
    const { size: whole, tail } = only.spec;
    const decode = only.codec.decode;
    // The common case, a whole sample of a struct without a tail, straight to its codec.
    return {
      maxSize,
      decode: (view, offset, size) =>
        size >= whole && !tail
          ? (decode(view, offset) as E)
          : decodeVariant(only, view, offset, size),
    };
  }
  const byTag = new Map(variants.map((v) => [v.spec.tag!, v]));
  const readTag = tagReader(tag.size, tag.signed);
  return {
    maxSize,
    decode(view, offset, size) {
      if (size < tag.offset + tag.size) return undefined;
      const value = readTag(view, offset + tag.offset);
      const variant = byTag.get(value);
      if (variant) return decodeVariant(variant, view, offset, size);
      const bytes = new Uint8Array(
        view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + size),
      );
      return { [tag.field]: value, bytes } as E;
    },
  };
}

function tagReader(size: number, signed: boolean): (view: DataView, at: number) => number {
  if (size === 1) return signed ? (v, at) => v.getInt8(at) : (v, at) => v.getUint8(at);
  if (size === 2)
    return signed ? (v, at) => v.getInt16(at, true) : (v, at) => v.getUint16(at, true);
  return signed ? (v, at) => v.getInt32(at, true) : (v, at) => v.getUint32(at, true);
}

/** Cuts the tail to the whole elements the sample holds, and to its length field. */
function cutTail(
  spec: EventVariantSpec,
  value: unknown,
  view: DataView,
  offset: number,
  size: number,
): unknown {
  const tail = spec.tail;
  if (!tail) return value;
  let bytes = Math.max(0, Math.min(size, spec.size) - tail.offset);
  if (tail.length) {
    const at = offset + tail.length.offset;
    const length =
      tail.length.size === 8
        ? Number(view.getBigUint64(at, true))
        : tail.length.size === 4
          ? view.getUint32(at, true)
          : tail.length.size === 2
            ? view.getUint16(at, true)
            : view.getUint8(at);
    bytes = Math.min(bytes, length);
  }
  const count = Math.floor(bytes / tail.elementSize);
  const event = value as Record<string, unknown>;
  const current = event[tail.field];
  if (current instanceof Uint8Array || Array.isArray(current))
    event[tail.field] = current.slice(0, count);
  else if (typeof current === 'string') event[tail.field] = cutString(current, count);
  return event;
}

/** The string's first `bytes` UTF-8 bytes (a char tail decodes up to its NUL already). */
function cutString(text: string, bytes: number): string {
  const encoded = new TextEncoder().encode(text);
  return encoded.length <= bytes ? text : new TextDecoder().decode(encoded.subarray(0, bytes));
}
