/**
 * The view model: everything the templates print, computed and checked here.
 * Templates only loop and print; no identifier is built in a template.
 */
import { SchemaError, type CType, type MapDecl, type StructType } from '@bpfmaps/schema';
import { isStruct, type Discovered } from './discover.js';

export interface StructModel {
  name: string;
  cName: string;
  size: number;
  align: number;
  doc: string[];
  /** C members, padding included, each with its offset comment. */
  cMembers: { decl: string; comment: string }[];
  cAsserts: string[];
  tsFields: { name: string; type: string; doc: string }[];
  encode: string[];
  decode: string[];
}

export interface MapModel {
  name: string;
  exportName: string;
  doc: string[];
  cType: string;
  typeId: number;
  maxEntries: number;
  flags: number;
  keyC: string;
  valueC: string;
  /** Type names usable before a declarator (`struct k`, `__typeof__(__u8 [16])`). */
  keyRef: string;
  valueRef: string;
  keyTs: string;
  valueTs: string;
  accessor: string;
  specName: string;
  keyCodec: string;
  valueCodec: string;
  /** Codecs of scalar keys and values, which have no struct codec to reuse. */
  inlineCodecs: { name: string; ts: string; size: number; encode: string[]; decode: string }[];
}

export interface FileModel {
  source: string;
  generator: string;
  guard: string;
  structs: StructModel[];
  maps: MapModel[];
  accessors: string[];
}

/** Names the generated TS module defines itself; a struct may not take them. */
const TS_RESERVED = new Set(['Maps', 'Codec', 'MapSpec', 'HashMap', 'BpfObject', 'openMaps', 'createMaps', 'openAll', 'c']);

export function buildModel(found: Discovered, source: string, headerName: string): FileModel {
  if (found.maps.length === 0) {
    throw new SchemaError('INVALID_MAP', source, 'no map declarations are exported', 'Export at least one map: export const flows = hash("flows", { key, value, maxEntries })');
  }
  checkUniqueMaps(found.maps);
  const structs = orderStructs(found);
  const maps = found.maps.map(({ exportName, decl }) => mapModel(exportName, decl));
  return {
    source,
    generator: '@bpfmaps/codegen',
    guard: `BPFMAPS_${headerName.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`,
    structs: structs.map((s) => structModel(s, source)),
    maps,
    accessors: [...new Set(maps.map((m) => m.accessor))].sort(),
  };
}

function checkUniqueMaps(maps: Discovered['maps']): void {
  const seen = new Map<string, string>();
  for (const { exportName, decl } of maps) {
    const other = seen.get(decl.name);
    if (other !== undefined) {
      throw new SchemaError('DUPLICATE_NAME', `map ${decl.name}`, `exports ${other} and ${exportName} both declare a map named "${decl.name}"`, 'Give each map its own name');
    }
    seen.set(decl.name, exportName);
  }
}

/** Structs reachable from the exports, each once, every struct after the structs it contains. */
function orderStructs(found: Discovered): StructType[] {
  const ordered: StructType[] = [];
  const byCName = new Map<string, StructType>();
  const byName = new Map<string, StructType>();
  const visit = (s: StructType) => {
    if (ordered.includes(s)) return;
    const clash = byCName.get(s.cName) ?? byName.get(s.name);
    if (clash) {
      if (sameLayout(clash, s)) return;
      throw new SchemaError(
        'CONFLICTING_STRUCT',
        s.name,
        `two different structs are both called ${clash.name === s.name ? s.name : `struct ${s.cName}`} (${describe(clash)} vs ${describe(s)})`,
        'Rename one of them, or pass the same struct to both maps',
      );
    }
    if (TS_RESERVED.has(s.name)) {
      throw new SchemaError('RESERVED_NAME', s.name, `"${s.name}" is a name the generated module defines itself`, 'Rename the struct');
    }
    byCName.set(s.cName, s);
    byName.set(s.name, s);
    for (const dep of s.dependencies()) visit(dep);
    ordered.push(s);
  };
  const roots: CType<unknown>[] = [...found.maps.flatMap((m) => [m.decl.key, m.decl.value]), ...found.structs];
  for (const root of roots) for (const s of root.structs()) visit(s);
  return ordered;
}

function describe(s: StructType): string {
  return `{ ${s.members.map((m) => `${m.name}: ${m.type.label}`).join(', ')} }`;
}

function sameLayout(a: StructType, b: StructType): boolean {
  return a.name === b.name && a.cName === b.cName && describe(a) === describe(b);
}

function docLines(doc: string | undefined): string[] {
  return doc ? doc.replace(/\*\//g, '* /').split('\n') : [];
}

function structModel(s: StructType, source: string): StructModel {
  const where = `${s.name} in ${source}`;
  return {
    name: s.name,
    cName: s.cName,
    size: s.size,
    align: s.align,
    doc: docLines(s.doc),
    cMembers: s.layout.slots.map((slot) => {
      const type = slot.kind === 'member' ? (s.fields[slot.name] as CType<unknown>) : undefined;
      return type
        ? { decl: `${type.cDeclare(slot.name)};`, comment: `offset ${slot.offset}, size ${slot.size}` }
        : { decl: `__u8 ${slot.name}[${slot.size}];`, comment: `offset ${slot.offset}: padding` };
    }),
    cAsserts: [
      `_Static_assert(sizeof(struct ${s.cName}) == ${s.size}, "bpfmaps: sizeof(struct ${s.cName}) must be ${s.size} (${where})");`,
      ...s.members.map(
        (m) =>
          `_Static_assert(__builtin_offsetof(struct ${s.cName}, ${m.name}) == ${m.offset}, "bpfmaps: ${s.name}.${m.name} must be at offset ${m.offset}");`,
      ),
    ],
    tsFields: s.members.map((m) => ({ name: m.name, type: m.type.tsType, doc: `${m.type.cDeclare(m.name)}; offset ${m.offset}` })),
    encode: s.tsEncodeBody(),
    decode: s.tsDecodeEntries(),
  };
}

/** An array type cannot stand before a declarator in C; `__typeof__` makes it one name. */
function typeRef(type: CType<unknown>): string {
  const name = type.cTypeName();
  return name.includes('[') ? `__typeof__(${name})` : name;
}

function mapModel(exportName: string, decl: MapDecl): MapModel {
  const inlineCodecs: MapModel['inlineCodecs'] = [];
  const codecFor = (type: CType<unknown>, part: 'key' | 'value'): string => {
    if (isStruct(type)) return `${type.name}Codec`;
    const name = `${decl.name}${part === 'key' ? 'Key' : 'Value'}Codec`;
    inlineCodecs.push({
      name,
      ts: type.tsType,
      size: type.size,
      encode: type.tsEncode({ view: 'v', offset: 'o', value: 'x', path: `'${decl.name} ${part}'`, field: "''", depth: 0 }),
      decode: type.tsDecode({ view: 'v', offset: 'o', depth: 0 }),
    });
    return name;
  };
  const accessor = decl.kind.accessor;
  return {
    name: decl.name,
    exportName,
    doc: docLines(decl.doc),
    cType: decl.kind.cType,
    typeId: decl.kind.id,
    maxEntries: decl.maxEntries,
    flags: decl.flags,
    keyC: decl.key.cTypeName(),
    valueC: decl.value.cTypeName(),
    keyRef: typeRef(decl.key),
    valueRef: typeRef(decl.value),
    keyTs: decl.key.tsType,
    valueTs: decl.value.tsType,
    accessor,
    specName: `${decl.name}Spec`,
    keyCodec: codecFor(decl.key, 'key'),
    valueCodec: codecFor(decl.value, 'value'),
    inlineCodecs,
  };
}
