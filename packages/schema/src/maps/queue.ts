import { declareMap, type MapDecl } from './decl.js';
import { ACCESS_FLAGS } from './flags.js';
import type { ArrayOptions } from './array.js';
import { defineKind } from './kind.js';

const ORDERED = {
  parts: ['value'],
  helpers: ['push', 'pop', 'peek'],
  flags: ACCESS_FLAGS,
} as const;

export const QUEUE = defineKind({
  ...ORDERED,
  name: 'queue',
  cType: 'BPF_MAP_TYPE_QUEUE',
  id: 22,
  accessor: 'QueueMap',
});
export const STACK = defineKind({
  ...ORDERED,
  name: 'stack',
  cType: 'BPF_MAP_TYPE_STACK',
  id: 23,
  accessor: 'StackMap',
});

/** queue(name, {value, maxEntries}) declares a BPF_MAP_TYPE_QUEUE (FIFO): push, pop, peek. */
export function queue<V>(name: string, options: ArrayOptions<V>): MapDecl<never, V, 'queue'> {
  return declareMap(QUEUE, name, options);
}

/** stack(name, {value, maxEntries}) declares a BPF_MAP_TYPE_STACK (LIFO): push, pop, peek. */
export function stack<V>(name: string, options: ArrayOptions<V>): MapDecl<never, V, 'stack'> {
  return declareMap(STACK, name, options);
}
