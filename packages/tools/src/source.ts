/**
 * Where a map comes from on the command line (`--pin`, `--id`, `--object`),
 * and the schema that types it: every command opens maps here, so each one
 * refuses a map whose layout differs from the schema, as openMap does.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { loadSchemaModule } from '@bpfmaps/codegen';
import { BpfObject, mapTypeOf, type KeyedMap } from '@bpfmaps/runtime';
import { catalog, type Catalog, type CType, type MapDecl } from '@bpfmaps/schema';
import { ToolError } from './errors.js';

/** How a command names the map: one of these. */
export interface MapOrigin {
  pin?: string;
  id?: number;
  object?: string;
}

/** The maps a schema file exports, by the map's name. */
export async function loadSchema(file: string): Promise<Catalog> {
  let stats;
  try {
    stats = statSync(file);
  } catch {
    throw new ToolError(`schema ${file}: no such file`);
  }
  if (!stats.isFile()) throw new ToolError(`schema ${file}: not a file (name a maps.schema.ts)`);
  const module = await loadSchemaModule(file);
  return catalog(module, basename(file));
}

/** The declaration of map `name` (its kernel name, or its export name). */
export function findMap(schema: Catalog, name: string, file: string): MapDecl {
  const found = schema.maps.find((m) => m.decl.name === name || m.exportName === name);
  if (!found)
    throw new ToolError(
      `${file} declares no map ${name}; it declares: ${schema.maps.map((m) => m.decl.name).join(', ') || 'none'}`,
    );
  return found.decl;
}

/** Exactly one of --pin, --id, --object; throws ToolError (64) otherwise. */
export function checkOrigin(origin: MapOrigin): void {
  const given = (['pin', 'id', 'object'] as const).filter((k) => origin[k] !== undefined);
  if (given.length !== 1)
    throw new ToolError(
      `name where the map is with exactly one of --pin PATH, --id N or --object FILE${given.length ? ` (given: ${given.map((g) => `--${g}`).join(', ')})` : ''}`,
      64,
    );
}

/** An opened map and what to close with it. */
export interface Opened {
  map: KeyedMap<unknown, unknown>;
  /** Values are a copy per CPU (an array), which tables and top sum. */
  perCpu?: boolean;
  /** The key's type, to read --where values as. */
  keyType?: CType<unknown>;
  close(): void;
}

/**
 * Opens `decl` from `origin`: a pin (read-only unless `write`), an id, or an
 * object loaded for the purpose (its maps pinned by name are the live ones).
 * Throws BpfError INCOMPATIBLE when the map differs from the schema.
 */
export function openMap(decl: MapDecl, origin: MapOrigin, write = false): Opened {
  checkOrigin(origin);
  const type = mapTypeOf(decl);
  if (!decl.kind.parts.includes('key') || !decl.kind.parts.includes('value'))
    throw new ToolError(
      `map ${decl.name} is a ${decl.kind.name}: it has no keys and values to read (a queue, stack, bloom filter or event map is read through its own accessor)`,
    );
  const perCpu = decl.kind.perCpu;
  const keyType = decl.key;
  if (origin.pin !== undefined) {
    const map = type.openPinned(origin.pin, { readOnly: !write }) as unknown as KeyedMap<
      unknown,
      unknown
    >;
    return { map, perCpu, keyType, close: () => map.close() };
  }
  if (origin.id !== undefined) {
    const map = type.openById(origin.id) as unknown as KeyedMap<unknown, unknown>;
    return { map, perCpu, keyType, close: () => map.close() };
  }
  const obj = BpfObject.load(origin.object!);
  try {
    const map = type.open(obj.map(decl.name)) as unknown as KeyedMap<unknown, unknown>;
    return { map, perCpu, keyType, close: () => (map.close(), obj.close()) };
  } catch (error) {
    obj.close();
    throw error;
  }
}
