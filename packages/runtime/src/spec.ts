import type { MapDecl } from '@bpfmaps/schema';
import { BpfError } from './errors.js';
import type { MapInfo } from './map-info.js';

/** What a map must be, as the schema declared it (generated modules emit these). */
export interface MapSpec {
  name: string;
  /** `enum bpf_map_type` value. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

/** The spec a schema map declaration implies. */
export function specOf(decl: MapDecl): MapSpec {
  return { name: decl.name, type: decl.kind.id, keySize: decl.key.size, valueSize: decl.value.size, maxEntries: decl.maxEntries, flags: decl.flags };
}

/**
 * Refuses a kernel map whose layout differs from the spec, listing every
 * difference at once, before any data is read or written.
 */
export function checkCompatible(spec: MapSpec, info: MapInfo): void {
  const differences: string[] = [];
  const compare = (what: string, expected: number, actual: number) => {
    if (expected !== actual) differences.push(`${what}: schema says ${expected}, kernel map has ${actual}`);
  };
  compare('type', spec.type, info.type);
  compare('key size', spec.keySize, info.keySize);
  compare('value size', spec.valueSize, info.valueSize);
  compare('max entries', spec.maxEntries, info.maxEntries);
  compare('flags', spec.flags, info.flags);
  if (differences.length > 0) {
    throw new BpfError({
      code: 'INCOMPATIBLE',
      op: 'open map',
      target: spec.name,
      detail: `layout differs from the schema (${differences.join('; ')}). Regenerate the header and rebuild the BPF object`,
    });
  }
}
