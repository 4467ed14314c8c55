/**
 * The view model: everything the templates print, computed and checked here.
 * Templates only loop and print; no identifier is built in a template.
 */
import { catalog, isComposite, SchemaError, type CompositeType, type CType, type EnumType, type MapDecl } from '@bpfmaps/schema';

type Composite = CompositeType<any, unknown>;

export interface EnumModel {
  name: string;
  cName: string;
  doc: string[];
  constants: { name: string; value: number }[];
  /** TS member names and values, for the Values/Names tables. */
  members: { name: string; value: number }[];
  tsUnion: string;
  names: { key: string; name: string }[];
}

export interface StructModel {
  keyword: 'struct' | 'union';
  name: string;
  cName: string;
  size: number;
  align: number;
  doc: string[];
  attributes: string;
  /** C member lines, padding included. */
  cLines: string[];
  cAsserts: string[];
  tsFields: { name: string; type: string; optional: boolean; doc: string }[];
  /** Member layouts as TS source, for the runtime's BTF check. */
  members: string[];
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
  /** The accessor's TS type, `HashMap<K, V>` or `QueueMap<V>`. */
  accessorType: string;
  keyless: boolean;
  pinByName: boolean;
  extra: number;
  specName: string;
  /** The spec's fields after name and type, as TS source. */
  specFields: string;
  keyCodec: string;
  valueCodec: string;
  /** Codec arguments of openMap/createMap: `KeyCodec, ValueCodec`, or the value codec alone. */
  codecs: string;
  /** Atomic add helpers for the value's counter fields. */
  counters: { field: string; cType: string }[];
  /** Codecs of scalar keys and values, which have no struct codec to reuse. */
  inlineCodecs: { name: string; ts: string; size: number; encode: string[]; decode: string }[];
}

export interface FileModel {
  source: string;
  generator: string;
  guard: string;
  enums: EnumModel[];
  structs: StructModel[];
  maps: MapModel[];
  accessors: string[];
}

/** Names the generated TS module defines itself; a declaration may not take them. */
const TS_RESERVED = new Set(['Maps', 'Codec', 'MapSpec', 'MapGroup', 'MemberLayout', 'BpfObject', 'openMap', 'createMap', 'openMaps', 'createMaps', 'openAll', 'c']);

export function buildModel(module: Record<string, unknown>, source: string, headerName: string): FileModel {
  const { maps, composites, enums } = catalog(module, source);
  for (const t of [...composites, ...enums]) {
    if (TS_RESERVED.has(t.name)) throw new SchemaError('RESERVED_NAME', t.name, `"${t.name}" is a name the generated module defines itself`, 'Rename it');
  }
  const mapModels = maps.map(({ exportName, decl }) => mapModel(exportName, decl));
  return {
    source,
    generator: '@bpfmaps/codegen',
    guard: `BPFMAPS_${headerName.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`,
    enums: enums.map(enumModel),
    structs: composites.map((s) => structModel(s, source)),
    maps: mapModels,
    accessors: [...new Set(mapModels.map((m) => m.accessor))].sort(),
  };
}

function docLines(doc: string | undefined): string[] {
  return doc ? doc.replace(/\*\//g, '* /').split('\n') : [];
}

function enumModel(e: EnumType): EnumModel {
  const members = Object.entries(e.values).map(([name, value]) => ({ name, value: value as number }));
  return {
    name: e.name,
    cName: e.cName,
    doc: docLines(e.doc),
    constants: e.constants(),
    members,
    tsUnion: members.map((m) => `'${m.name}'`).join(' | '),
    names: Object.entries(e.names).map(([value, name]) => ({ key: Number(value) < 0 ? `'${value}'` : value, name: name as string })),
  };
}

function structModel(s: Composite, source: string): StructModel {
  const where = `${s.name} in ${source}`;
  const flat = s.flatMembers();
  return {
    keyword: s.keyword,
    name: s.name,
    cName: s.cName,
    size: s.size,
    align: s.align,
    doc: docLines(s.doc),
    attributes: s.cAttributes(),
    cLines: s.cBody(),
    cAsserts: [
      `_Static_assert(sizeof(${s.keyword} ${s.cName}) == ${s.size}, "bpfmaps: sizeof(${s.keyword} ${s.cName}) must be ${s.size} (${where})");`,
      `_Static_assert(_Alignof(${s.keyword} ${s.cName}) == ${s.align}, "bpfmaps: ${s.keyword} ${s.cName} must be aligned to ${s.align} (${where})");`,
      ...flat
        .filter((m) => m.bits === undefined)
        .map(
          (m) =>
            `_Static_assert(__builtin_offsetof(${s.keyword} ${s.cName}, ${m.name}) == ${m.offset}, "bpfmaps: ${s.name}.${m.name} must be at offset ${m.offset}");`,
        ),
    ],
    tsFields: flat
      .filter((m) => !m.type.hidden)
      .map((m) => ({
        name: m.name,
        type: m.type.tsType,
        optional: m.optional,
        doc: [m.type.meta.doc, `\`${m.type.cDeclare(m.name)}\` at ${m.bits === undefined ? `offset ${m.offset}` : `bit ${m.bitOffset}`}`].filter(Boolean).join(': '),
      })),
    members: flat.map(
      (m) => `{ name: '${m.name}', bitOffset: ${m.bits === undefined ? m.offset * 8 : m.bitOffset}, bits: ${m.bits ?? 0}, size: ${m.type.size} },`,
    ),
    encode: s.tsEncodeBody({ offset: 'o', value: 'x', path: 'p', depth: 0 }),
    decode: s.tsDecodeEntries('o'),
  };
}

/** An array type cannot stand before a declarator in C; `__typeof__` makes it one name. */
function typeRef(type: CType<unknown>): string {
  const name = type.cTypeName();
  return name.includes('[') || name.includes('{') ? `__typeof__(${name})` : name;
}

function mapModel(exportName: string, decl: MapDecl): MapModel {
  const keyless = decl.kind.keyless;
  const inlineCodecs: MapModel['inlineCodecs'] = [];
  const codecFor = (type: CType<unknown>, part: 'key' | 'value'): string => {
    if (isComposite(type) && !type.anonymous) return `${type.name}Codec`;
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
  const keyCodec = keyless ? '' : codecFor(decl.key, 'key');
  const valueCodec = codecFor(decl.value, 'value');
  const membersRef = (t: CType<unknown>) => (isComposite(t) && !t.anonymous ? `${t.name}Members` : 'undefined');
  const keyTs = keyless ? '' : decl.key.tsType;
  const counters = isComposite(decl.value)
    ? decl.value.flatMembers().filter((m) => m.type.meta.counter).map((m) => ({ field: m.name, cType: m.type.cTypeName() }))
    : [];
  return {
    name: decl.name,
    exportName,
    doc: docLines(decl.doc),
    cType: decl.kind.cType,
    typeId: decl.kind.id,
    maxEntries: decl.maxEntries,
    flags: decl.flags,
    keyC: keyless ? '' : decl.key.cTypeName(),
    valueC: decl.value.cTypeName(),
    keyRef: keyless ? '' : typeRef(decl.key),
    valueRef: typeRef(decl.value),
    keyTs,
    valueTs: decl.value.tsType,
    accessor: decl.kind.accessor,
    accessorType: keyless ? `${decl.kind.accessor}<${decl.value.tsType}>` : `${decl.kind.accessor}<${keyTs}, ${decl.value.tsType}>`,
    keyless,
    pinByName: decl.pinning === 'byName',
    extra: decl.extra,
    specName: `${decl.name}Spec`,
    specFields: [
      `keySize: ${keyless ? 0 : `${keyCodec}.size`}`,
      `valueSize: ${valueCodec}.size`,
      `maxEntries: ${decl.maxEntries}`,
      `flags: ${decl.flags}`,
      ...(decl.extra ? [`extra: ${decl.extra}`] : []),
      ...(keyless ? [] : [`keyMembers: ${membersRef(decl.key)}`]),
      `valueMembers: ${membersRef(decl.value)}`,
    ].join(', '),
    keyCodec,
    valueCodec,
    codecs: keyless ? valueCodec : `${keyCodec}, ${valueCodec}`,
    counters,
    inlineCodecs,
  };
}
