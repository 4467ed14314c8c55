/**
 * The view model: everything the templates print, computed and checked here.
 * Templates only loop and print; no identifier is built in a template.
 */
import { catalog, commentLines, MAP_KINDS } from '@bpfmaps/schema';
import { enumModel, structModel, type EnumModel, type StructModel } from './declarations.js';
import { Refs } from './literal.js';
import { mapModel, type MapModel } from './maps.js';
import { ModuleNames } from './names.js';

export type { EnumModel, StructModel, MapModel };

export interface FileModel {
  /** The schema file's name, safe inside a comment. */
  source: string;
  generator: string;
  guard: string;
  enums: EnumModel[];
  structs: StructModel[];
  maps: MapModel[];
  /** Runtime classes the module imports. */
  accessors: string[];
}

/** What the generated module imports or defines itself: no declaration may take these names. */
const FIXED_NAMES = [
  'c',
  'mapType',
  'openAll',
  'BpfObject',
  'Codec',
  'MapGroup',
  'MapSpec',
  'MemberLayout',
  'Maps',
  'openMaps',
  'createMaps',
];

export function buildModel(
  module: Record<string, unknown>,
  source: string,
  headerName: string,
): FileModel {
  const { maps, composites, enums } = catalog(module, source);
  const accessors = [...new Set(Object.values(MAP_KINDS).map((k) => k.accessor))];
  const names = new ModuleNames([...FIXED_NAMES, ...accessors]);
  const refs = new Refs();
  const safeSource = commentLines(source).join(' ');
  const enumModels = enums.map((e) => enumModel(e, names));
  const structModels = composites.map((s) => structModel(s, safeSource, names, refs));
  const mapModels = maps.map(({ exportName, decl }) => mapModel(decl, exportName, names, refs));
  const used = new Set(mapModels.flatMap((m) => m.mapTypes.map((t) => t.accessor)));
  return {
    source: safeSource,
    generator: '@bpfmaps/codegen',
    guard: `BPFMAPS_${headerName.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`,
    enums: enumModels,
    structs: structModels,
    maps: mapModels,
    accessors: accessors.filter((a) => used.has(a)).sort(),
  };
}
