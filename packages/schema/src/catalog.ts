/**
 * Everything a schema module exports, found by brand, checked as a whole and
 * put in the order C needs: each declaration after the ones it contains.
 * One walk over `children()` finds every named struct, union and enum.
 * Checks here are the ones no single declaration can make alone.
 */
import { SchemaError } from './errors.js';
import { isGlobalsDecl, type GlobalsDecl } from './globals.js';
import { isMapDecl, type MapDecl } from './maps/decl.js';
import { eventStructs } from './maps/events.js';
import { isCType, type CType, type Declaration } from './types/base.js';
import type { CompositeType } from './types/composite.js';
import type { EnumType } from './types/enum.js';

type Composite = CompositeType<any, unknown>;

export interface Catalog {
  /** Map declarations in export order (ES module namespaces sort exports by name). */
  maps: { exportName: string; decl: MapDecl }[];
  /** Globals declarations in export order. */
  globals: { exportName: string; decl: GlobalsDecl }[];
  /** Named structs and unions, each after the ones it contains. */
  composites: Composite[];
  enums: EnumType[];
}

/** Duck-typed, because a schema file may load its own copy of this package. */
export function isComposite(value: unknown): value is Composite {
  return (
    isCType(value) && typeof (value as unknown as Partial<Composite>).tsEncodeBody === 'function'
  );
}

export function isEnum(value: unknown): value is EnumType {
  return isCType(value) && typeof (value as unknown as Partial<EnumType>).constants === 'function';
}

/** The key, value, event and inner map types of a declaration. */
function mapTypes(decl: MapDecl): CType<unknown>[] {
  const events = decl.event ? eventStructs(decl.event) : [];
  const own = [decl.key, decl.value, ...events].filter((t): t is CType<unknown> => t !== undefined);
  return decl.inner ? [...own, ...mapTypes(decl.inner)] : own;
}

/** Builds the catalog of a schema module; throws SchemaError naming the declarations in conflict. */
export function catalog(module: Record<string, unknown>, source: string): Catalog {
  const maps: Catalog['maps'] = [];
  const globals: Catalog['globals'] = [];
  const roots: CType<unknown>[] = [];
  for (const [exportName, value] of Object.entries(module)) {
    if (isMapDecl(value)) maps.push({ exportName, decl: value });
    else if (isGlobalsDecl(value)) globals.push({ exportName, decl: value });
    else if (isCType(value)) roots.push(value);
  }
  if (maps.length === 0 && globals.length === 0) {
    throw new SchemaError(
      'INVALID_MAP',
      source,
      'no map or globals declarations are exported',
      'Export at least one map: export const flows = hash("flows", { key, value, maxEntries })',
    );
  }
  const cNames = checkUniqueMaps(maps);
  const names = new Names();
  const enums: EnumType[] = [];
  const composites: Composite[] = [];
  const seen = new Set<CType<unknown>>();
  const visit = (t: CType<unknown>) => {
    if (seen.has(t)) return;
    seen.add(t);
    for (const child of t.children()) visit(child);
    const declaration = t.declaration();
    if (!declaration || !names.add(declaration)) return;
    if (isEnum(t)) enums.push(t);
    else composites.push(t as Composite);
  };
  const globalTypes = globals.flatMap((g) => Object.values(g.decl.variables));
  for (const t of [...maps.flatMap((m) => mapTypes(m.decl)), ...globalTypes, ...roots]) visit(t);
  checkEnumConstants(enums, cNames);
  checkGlobalNames(globals, cNames);
  return { maps, globals, composites, enums };
}

/**
 * Map names are one C namespace, the maps that come with others (drop
 * counters) included. Returns who owns each name, for the other C names
 * (globals, enum constants) that share the namespace.
 */
function checkUniqueMaps(maps: Catalog['maps']): Map<string, string> {
  const seen = new Map<string, string>();
  const claim = (name: string, owner: string) => {
    const other = seen.get(name);
    if (other !== undefined) {
      throw new SchemaError(
        'DUPLICATE_NAME',
        `map ${name}`,
        `${other} and ${owner} both declare a map named "${name}"`,
        'Give each map its own name',
      );
    }
    seen.set(name, owner);
  };
  for (const { exportName, decl } of maps) {
    claim(decl.name, `export ${exportName}`);
    for (const [role, companion] of Object.entries(decl.companions))
      claim(companion.name, `the ${role} of ${exportName}`);
  }
  return new Map([...seen].map(([name, owner]) => [name, `map ${name} (${owner})`]));
}

/** Global variables share C's namespace with maps, enum constants and each other. */
function checkGlobalNames(globals: Catalog['globals'], cNames: Map<string, string>): void {
  for (const { exportName, decl } of globals) {
    for (const name of Object.keys(decl.variables)) {
      const other = cNames.get(name);
      if (other !== undefined) {
        throw new SchemaError(
          'DUPLICATE_NAME',
          `global ${name}`,
          `export ${exportName} declares it, but in C it is also ${other}`,
          'Rename the global or the other declaration',
        );
      }
      cNames.set(name, `a global of export ${exportName}`);
    }
  }
}

/**
 * Enum constants share C's one namespace: `A` with member `B_C` and `A_B`
 * with `C` both spell `A_B_C`. They join `cNames`, whose names they must not take.
 */
function checkEnumConstants(enums: readonly EnumType[], cNames: Map<string, string>): void {
  const owners = cNames;
  for (const e of enums) {
    for (const [member, constant] of Object.keys(e.values).map(
      (m, i) => [m, e.constants()[i]!.name] as const,
    )) {
      const other = owners.get(constant);
      if (other !== undefined) {
        throw new SchemaError(
          'DUPLICATE_NAME',
          `${e.name}.${member}`,
          `its C constant ${constant} is also ${other}`,
          'Rename the member or give one enum another cName',
        );
      }
      owners.set(constant, `the constant of ${e.name}.${member}`);
    }
  }
}

/**
 * TS names and C tags in use. The same declaration seen twice is fine (and so
 * is an identical copy); two different ones under one name are not.
 */
class Names {
  private readonly byName = new Map<string, string>();

  /** True when `d` is new; false when already known; throws on a conflict. */
  add(d: Declaration): boolean {
    const shape = d.shape();
    const keys = [`ts:${d.name}`, `c:${d.cName}`];
    const known = keys.map((k) => this.byName.get(k)).find(Boolean);
    if (known) {
      if (known === shape) return false;
      const called = this.byName.get(`ts:${d.name}`) ? d.name : `${d.cName} in C`;
      throw new SchemaError(
        'CONFLICTING_STRUCT',
        d.name,
        `two different declarations are both called ${called} (${known} vs ${shape})`,
        'Rename one of them, or use the same declaration in both places',
      );
    }
    for (const k of keys) this.byName.set(k, shape);
    return true;
  }
}
