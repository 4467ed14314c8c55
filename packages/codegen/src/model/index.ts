/**
 * The view model: everything the templates print, computed and checked here.
 * Templates only loop and print; no identifier is built in a template.
 */
import { createHash } from 'node:crypto';
import { catalog, commentLines, MAP_KINDS, type Catalog } from '@bpfmaps/schema';
import { enumModel, structModel, type EnumModel, type StructModel } from './declarations.js';
import { checkSystemHeaderNames } from '../uapi.js';
import { Refs } from './literal.js';
import { globalsModel, type GlobalsModel } from './globals.js';
import { mapModel, type MapModel } from './maps.js';
import { ModuleNames } from './names.js';

export type { EnumModel, StructModel, MapModel, GlobalsModel };

export interface FileModel {
  /** The schema file's name, safe inside a comment. */
  source: string;
  /** The same, as a TS string literal. */
  sourceLiteral: string;
  generator: string;
  /** What the schema says about layouts, names and maps, hashed: both files carry it, so a stale pair shows. */
  hash: string;
  guard: string;
  enums: EnumModel[];
  structs: StructModel[];
  maps: MapModel[];
  globals: GlobalsModel[];
  /** What the module imports from @bpfmaps/runtime, values then types: exactly what it uses. */
  runtimeValues: string[];
  runtimeTypes: string[];
  /** Whether it uses the codec checks of @bpfmaps/schema/codec (any struct or scalar codec). */
  usesCodecs: boolean;
}

/** What the generated module imports or defines itself: no declaration may take these names. */
const FIXED_NAMES = [
  'c',
  'checkSchema',
  'schemaHash',
  'mapType',
  'openAll',
  'BpfObject',
  'Codec',
  'MapGroup',
  'MapSpec',
  'TypeSpec',
  'eventDecoder',
  'EventSpec',
  'UnknownEvent',
  'Maps',
  'openMaps',
  'createMaps',
  'bindGlobals',
  'GlobalsSpec',
  'Globals',
  'openGlobals',
];

export function buildModel(
  module: Record<string, unknown>,
  source: string,
  headerName: string,
): FileModel {
  const schema = catalog(module, source);
  checkSystemHeaderNames(schema, source);
  const { maps, globals, composites, enums } = schema;
  const accessors = [...new Set(Object.values(MAP_KINDS).map((k) => k.accessor))];
  const names = new ModuleNames([...FIXED_NAMES, ...accessors]);
  const refs = new Refs();
  const safeSource = commentLines(source).join(' ');
  const enumModels = enums.map((e) => enumModel(e, names));
  const structModels = composites.map((s) => structModel(s, names, refs));
  const mapModels = maps.map(({ exportName, decl }) => mapModel(decl, exportName, names, refs));
  const globalsModels = globals.map(({ exportName, decl }) =>
    globalsModel(decl, exportName, names, refs),
  );
  const used = new Set(mapModels.flatMap((m) => m.mapTypes.map((t) => t.accessor)));
  const hash = schemaHash(schema);
  const stem = headerName
    .replace(/\.h$/, '')
    .replace(/[^A-Za-z0-9]/g, '_')
    .toUpperCase();
  return {
    source: safeSource,
    sourceLiteral: JSON.stringify(safeSource),
    generator: '@bpfmaps/codegen',
    hash,
    // Unique per schema, so headers of two schema packages never skip each other.
    guard: `BPFMAPS_${stem}_${hash.slice(0, 8).toUpperCase()}_H`,
    enums: enumModels,
    structs: structModels,
    maps: mapModels,
    globals: globalsModels,
    ...imports(structModels, mapModels, globalsModels, [...used].sort()),
  };
}

/** The runtime names and codec checks the module uses, so it imports nothing it does not (noUnusedLocals). */
function imports(
  structs: StructModel[],
  maps: MapModel[],
  globals: GlobalsModel[],
  accessors: string[],
) {
  const events = maps.filter((m) => m.events);
  const codecs = structs.length > 0 || [...maps, ...globals].some((m) => m.inlineCodecs.length > 0);
  const values = [
    ...(globals.length ? ['bindGlobals'] : []),
    'checkSchema',
    ...(events.length ? ['eventDecoder'] : []),
    ...(maps.length ? ['mapType', 'openAll'] : []),
    ...accessors,
  ];
  const types = [
    'BpfObject',
    ...(codecs ? ['Codec'] : []),
    ...(events.length ? ['EventSpec'] : []),
    ...(globals.length ? ['GlobalsSpec'] : []),
    ...(maps.length ? ['MapGroup', 'MapSpec'] : []),
    ...(structs.length ? ['TypeSpec'] : []),
    ...(maps.some((m) => m.types.some((t) => t.definition.includes('UnknownEvent<')))
      ? ['UnknownEvent']
      : []),
  ];
  return { runtimeValues: values, runtimeTypes: types, usesCodecs: codecs };
}

/**
 * The schema's layouts, names and maps, hashed (not its documentation, so
 * a reworded comment does not make a built object stale).
 */
function schemaHash({ maps, globals, composites, enums }: Catalog): string {
  const data = {
    enums: enums.map((e) => e.shape()),
    structs: composites.map((c) => [c.name, c.shape(), c.size, c.align, c.typeSpec()]),
    maps: maps.map(({ exportName, decl }) => [
      exportName,
      decl.kind.name,
      decl.spec,
      decl.kind.definition(decl),
    ]),
    // Only when there are globals: the hashes of schemas without them stay what they were.
    ...(globals.length > 0 && {
      globals: globals.map(({ exportName, decl }) => [exportName, decl.spec]),
    }),
  };
  return createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 16);
}
