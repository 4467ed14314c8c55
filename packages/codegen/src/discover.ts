import { isCType, isMapDecl, type MapDecl, type StructType } from '@bpfmaps/schema';

export interface Discovered {
  maps: { exportName: string; decl: MapDecl }[];
  structs: StructType[];
}

/** True for a struct type. Duck-typed: the schema module may be loaded twice (once by the user's file). */
export function isStruct(value: unknown): value is StructType {
  return isCType(value) && typeof (value as Partial<StructType>).tsEncodeBody === 'function';
}

/** Every exported map declaration and struct, in export order: found by brand, never registered. */
export function discover(module: Record<string, unknown>): Discovered {
  const maps: Discovered['maps'] = [];
  const structs: StructType[] = [];
  for (const [exportName, value] of Object.entries(module)) {
    if (isMapDecl(value)) maps.push({ exportName, decl: value });
    else if (isStruct(value)) structs.push(value);
  }
  return { maps, structs };
}
