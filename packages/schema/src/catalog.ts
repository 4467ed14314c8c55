/**
 * Everything a schema module exports, found by brand, checked as a whole and
 * put in the order C needs: enums, then composites after what they contain.
 * Checks here are the ones no single declaration can make alone.
 */
import { SchemaError } from './errors.js';
import { isMapDecl, type MapDecl } from './maps.js';
import { isCType, type CType } from './types/base.js';
import type { CompositeType } from './types/composite.js';
import type { EnumType } from './types/enum.js';

type Composite = CompositeType<any, unknown>;

export interface Catalog {
  /** Map declarations in export order (ES module namespaces sort exports by name). */
  maps: { exportName: string; decl: MapDecl }[];
  /** Named structs and unions, each after the ones it contains. */
  composites: Composite[];
  enums: EnumType[];
}

/** Duck-typed, because a schema file may load its own copy of this package. */
export function isComposite(value: unknown): value is Composite {
  return isCType(value) && typeof (value as unknown as Partial<Composite>).tsEncodeBody === 'function';
}

export function isEnum(value: unknown): value is EnumType {
  return isCType(value) && typeof (value as unknown as Partial<EnumType>).constants === 'function';
}

/** Builds the catalog of a schema module; throws SchemaError naming the declarations in conflict. */
export function catalog(module: Record<string, unknown>, source: string): Catalog {
  const maps: Catalog['maps'] = [];
  const roots: CType<unknown>[] = [];
  for (const [exportName, value] of Object.entries(module)) {
    if (isMapDecl(value)) maps.push({ exportName, decl: value });
    else if (isComposite(value) || isEnum(value)) roots.push(value);
  }
  if (maps.length === 0) {
    throw new SchemaError('INVALID_MAP', source, 'no map declarations are exported', 'Export at least one map: export const flows = hash("flows", { key, value, maxEntries })');
  }
  checkUniqueMaps(maps);
  const all = [...maps.flatMap((m) => (m.decl.kind.keyless ? [m.decl.value] : [m.decl.key, m.decl.value])), ...roots];
  const names = new Names();
  const enums: EnumType[] = [];
  for (const e of all.flatMap((t) => t.enums())) if (names.add(e, describeEnum(e))) enums.push(e);
  const composites: Composite[] = [];
  const visit = (s: Composite) => {
    if (!names.add(s, describeComposite(s))) return;
    for (const dep of s.dependencies()) visit(dep);
    composites.push(s);
  };
  for (const t of all) for (const s of t.structs()) visit(s);
  return { maps, composites, enums };
}

function checkUniqueMaps(maps: Catalog['maps']): void {
  const seen = new Map<string, string>();
  for (const { exportName, decl } of maps) {
    const other = seen.get(decl.name);
    if (other !== undefined) {
      throw new SchemaError('DUPLICATE_NAME', `map ${decl.name}`, `exports ${other} and ${exportName} both declare a map named "${decl.name}"`, 'Give each map its own name');
    }
    seen.set(decl.name, exportName);
  }
}

/**
 * TS names and C tags in use. The same declaration seen twice is fine (and so
 * is an identical copy); two different ones under one name are not.
 */
class Names {
  private readonly byName = new Map<string, string>();

  /** True when `t` is new; false when already known; throws on a conflict. */
  add(t: Composite | EnumType, shape: string): boolean {
    const keys = [`ts:${t.name}`, `c:${t.cName}`];
    const known = keys.map((k) => this.byName.get(k)).find(Boolean);
    if (known) {
      if (known === shape) return false;
      const called = this.byName.get(`ts:${t.name}`) ? t.name : `${t.cName} in C`;
      throw new SchemaError(
        'CONFLICTING_STRUCT',
        t.name,
        `two different declarations are both called ${called} (${known} vs ${shape})`,
        'Rename one of them, or use the same declaration in both places',
      );
    }
    for (const k of keys) this.byName.set(k, shape);
    return true;
  }
}

function describeComposite(s: Composite): string {
  const attrs = s.cAttributes();
  return `${s.keyword} ${s.cName} { ${s.members.map((m) => `${m.name}: ${m.type.label}`).join(', ')} }${attrs}`;
}

function describeEnum(e: EnumType): string {
  return `enum ${e.cName} { ${Object.entries(e.values).map(([k, v]) => `${k} = ${v}`).join(', ')} } in ${e.storage.label}`;
}
