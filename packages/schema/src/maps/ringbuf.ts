/**
 * Ring buffers (BPF_MAP_TYPE_RINGBUF): one ring shared by every CPU, in which
 * programs reserve, fill and submit events that user space reads in order.
 * Its drop counter, a per-CPU array the helpers add to when a reserve
 * fails, comes with it.
 */
import { SchemaError } from '../errors.js';
import { u32, u64 } from '../types/int.js';
import { PERCPU_ARRAY } from './array.js';
import { declareMap, type MapDecl, type Pinning } from './decl.js';
import { eventStructs, type EventType, type InferEvent } from './events.js';
import { isCType } from '../types/base.js';
import { defineKind } from './kind.js';

export interface RingbufOptions<E extends EventType> {
  /** The events: a struct, or tagged(...) structs. */
  event: E;
  /** The ring's size in bytes: a power of two, at least a page (4096). */
  size: number;
  pinning?: Pinning;
  doc?: string;
}

export const RINGBUF = defineKind({
  name: 'ringbuf',
  cType: 'BPF_MAP_TYPE_RINGBUF',
  id: 27,
  parts: ['event'],
  accessor: 'RingBuffer',
  helpers: ['ringbuf-reserve', 'ringbuf-commit', 'ringbuf-output'],
  flags: 0,
});

/** The drop counter of the events map `name`: one u64 per CPU, read summed. */
export function dropCounter(name: string, pinning: Pinning | undefined): MapDecl {
  return declareMap(PERCPU_ARRAY, `${name}_drops`, {
    key: u32,
    value: u64,
    maxEntries: 1,
    pinning: pinning ?? 'none',
    companion: true,
  });
}

/**
 * ringbuf(name, { event, size }) declares a BPF_MAP_TYPE_RINGBUF of `size`
 * bytes carrying `event`s, and its drop counter `<name>_drops`.
 */
export function ringbuf<E extends EventType>(
  name: string,
  options: RingbufOptions<E>,
): MapDecl<never, InferEvent<E>, 'ringbuf'> {
  const size = options?.size;
  if (!Number.isInteger(size) || size < 4096 || size > 2 ** 31 || (size & (size - 1)) !== 0) {
    throw new SchemaError(
      'INVALID_MAP',
      `map ${String(name)}.size`,
      `a ring buffer's size is a power of two of at least 4096 bytes, received ${String(size)}`,
      'For example 256 * 1024',
    );
  }
  refuseEventsLargerThan(name, options.event, size);
  return declareMap(RINGBUF, name, {
    event: options.event,
    maxEntries: size,
    ...(options.pinning ? { pinning: options.pinning } : {}),
    ...(options.doc !== undefined ? { doc: options.doc } : {}),
    companions: { drops: dropCounter(name, options.pinning) },
  }) as MapDecl<never, InferEvent<E>, 'ringbuf'>;
}

/** The kernel's header in front of every ring buffer sample (BPF_RINGBUF_HDR_SZ). */
const SAMPLE_HEADER = 8;

/**
 * An event the ring cannot hold passes clang and the verifier, and then
 * every reserve fails: refuse it here, where both sizes are known.
 */
function refuseEventsLargerThan(name: string, event: EventType, size: number): void {
  if (!isCType(event) && typeof event !== 'object') return; // eventSpec names that fault
  for (const type of eventStructs(event)) {
    if (!isCType(type) || type.size + SAMPLE_HEADER <= size) continue;
    throw new SchemaError(
      'INVALID_MAP',
      `map ${name}.size`,
      `event ${type.name} takes ${type.size + SAMPLE_HEADER} bytes in the ring (${type.size} and an ${SAMPLE_HEADER}-byte header), more than its ${size}: every reserve would fail`,
      `Make size a power of two of at least ${2 ** Math.ceil(Math.log2(Math.max(4096, type.size + SAMPLE_HEADER)))} (room for several events is better)`,
    );
  }
}
