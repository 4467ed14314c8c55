/**
 * Maps of maps: an outer array or hash whose values are other maps. Every
 * inner map must match the template `inner` (type, key and value sizes, max
 * entries); kernel programs look up the inner map, then an entry in it.
 */
import { SchemaError } from '../errors.js';
import type { CType } from '../types/base.js';
import { u32 } from '../types/int.js';
import { declareMap, type CommonOptions, type MapDecl } from './decl.js';
import { ACCESS_FLAGS, mapFlags } from './flags.js';
import { defineKind, definitionHead } from './kind.js';

export interface MapOfMapsOptions<I extends MapDecl> extends CommonOptions {
  /** The template of the inner maps: a keyed map declaration (hash, array, LRU, per-CPU, LPM trie). */
  inner: I;
}

export interface HashOfMapsOptions<K, I extends MapDecl> extends MapOfMapsOptions<I> {
  key: CType<K>;
}

/**
 * The outer definition: its key, and the inner template spelled inline
 * (`__array(values, struct {...})`). The template states sizes, not types:
 * clang emits structs reached only through it as forward declarations,
 * whose size libbpf cannot know.
 */
function definition(decl: MapDecl): string[] {
  const inner = decl.inner!;
  const template = [
    ...definitionHead({ ...inner, pinning: 'none' }),
    `__uint(key_size, sizeof(${inner.key!.cTypeName()}));`,
    `__uint(value_size, sizeof(${inner.value!.cTypeName()}));`,
  ];
  return [
    ...definitionHead(decl),
    `__type(key, ${decl.key!.cTypeName()});`,
    '__array(values, struct {',
    ...template.map((line) => `\t${line}`),
    '});',
  ];
}

const MAP_IN_MAP = {
  // The value is the inner map: its fd when stored from user space, its id when read back.
  parts: ['key', 'value', 'inner'],
  helpers: ['outer-lookup', 'inner-lookup'],
  definition,
} as const;

export const ARRAY_OF_MAPS = defineKind({
  ...MAP_IN_MAP,
  name: 'arrayOfMaps',
  cType: 'BPF_MAP_TYPE_ARRAY_OF_MAPS',
  id: 12,
  accessor: 'ArrayOfMaps',
  accessorArgs: ['inner'],
  fixedKeys: true,
  flags: ACCESS_FLAGS,
});

export const HASH_OF_MAPS = defineKind({
  ...MAP_IN_MAP,
  name: 'hashOfMaps',
  cType: 'BPF_MAP_TYPE_HASH_OF_MAPS',
  id: 13,
  accessor: 'HashOfMaps',
  accessorArgs: ['key', 'inner'],
  flags: mapFlags.noPrealloc | ACCESS_FLAGS,
});

function checkInner(name: string, inner: MapDecl | undefined): void {
  if (inner && !inner.kind.canBeInner) {
    throw new SchemaError(
      'INVALID_MAP',
      `map ${name}.inner`,
      `a ${inner.kind.name} map cannot be an inner map`,
      'Use a keyed map: hash, lruHash, array, a per-CPU hash or array, or lpmTrie',
    );
  }
}

/** arrayOfMaps(name, {inner, maxEntries}) declares a BPF_MAP_TYPE_ARRAY_OF_MAPS: u32 index -> a map like `inner`. */
export function arrayOfMaps<I extends MapDecl>(
  name: string,
  options: MapOfMapsOptions<I>,
): MapDecl<number, number, 'arrayOfMaps', I> {
  checkInner(name, options?.inner);
  return declareMap(ARRAY_OF_MAPS, name, { ...options, key: u32, value: u32 });
}

/** hashOfMaps(name, {key, inner, maxEntries}) declares a BPF_MAP_TYPE_HASH_OF_MAPS: key -> a map like `inner`. */
export function hashOfMaps<K, I extends MapDecl>(
  name: string,
  options: HashOfMapsOptions<K, I>,
): MapDecl<K, number, 'hashOfMaps', I> {
  checkInner(name, options?.inner);
  return declareMap(HASH_OF_MAPS, name, { ...options, value: u32 });
}
