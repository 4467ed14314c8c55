/**
 * The view model of one map: what its kind says (definition lines, helper
 * partials, accessor and its arguments) and what its declaration computed
 * (the spec), printed as data. Nothing here asks which kind a map is.
 */
import {
  commentLines,
  isComposite,
  SchemaError,
  type CType,
  type MapDecl,
  type Part,
} from '@bpfmaps/schema';
import { jsdoc } from './comments.js';
import { tsLiteral, type Refs } from './literal.js';
import type { ModuleNames } from './names.js';

/**
 * What the object openMaps() and createMaps() return has besides the maps
 * (runtime src/maps/group.ts; Symbol.dispose cannot clash with a name): a
 * map called so would be hidden behind it, `maps.close` the group's close().
 */
export const GROUP_MEMBERS: readonly string[] = ['close'];

/** A codec of a scalar key or value, which has no struct codec to reuse. */
export interface InlineCodec {
  name: string;
  ts: string;
  size: number;
  encode: string[];
  decode: string;
}

export interface MapModel {
  name: string;
  /** C comment lines: what the map is (`flows: BPF_MAP_TYPE_HASH of struct flow_key -> ...`), then its doc. */
  doc: string[];
  jsdoc: string[];
  /** The lines inside the braces of the C map definition. */
  definition: string[];
  /** Header partials of the kernel helpers the kind offers. */
  helpers: { partial: string }[];
  /** Counter fields of the value (and of an inner template's), each with its kind's add partial. */
  counters: {
    partial: string;
    name: string;
    /** The counter as a pointer (for atomics) and as an lvalue (for plain adds). */
    pointer: string;
    lvalue: string;
    what: string;
    cType: string;
    valueRef: string;
  }[];
  /** C type names usable before a declarator, for the helpers ('' for parts the kind has not). */
  keyRef: string;
  valueRef: string;
  innerKeyRef: string;
  innerValueRef: string;
  /** Spec constants, inner template first: name and TS literal. */
  specs: { name: string; literal: string }[];
  /** Map type constants, inner template first: name, accessor class and its arguments after the spec. */
  mapTypes: { name: string; accessor: string; args: string }[];
  /** The constant users open the map through. */
  mapType: string;
  accessorType: string;
  inlineCodecs: InlineCodec[];
}

interface Built {
  names: ModuleNames;
  refs: Refs;
  specs: MapModel['specs'];
  mapTypes: MapModel['mapTypes'];
  inlineCodecs: InlineCodec[];
}

/** How each part becomes an accessor's type argument and constructor argument. */
type PartPrinter = (decl: MapDecl, prefix: string, out: Built) => { ts: string; arg: string };

const PARTS: Record<Part, PartPrinter> = {
  key: (decl, prefix, out) => typePart(decl.key!, `${prefix}KeyCodec`, `map ${decl.name}.key`, out),
  value: (decl, prefix, out) =>
    typePart(decl.value!, `${prefix}ValueCodec`, `map ${decl.name}.value`, out),
  inner: (decl, prefix, out) => {
    const inner = build(decl.inner!, `${prefix}Inner`, out);
    return { ts: inner.accessorType, arg: inner.mapType };
  },
};

function typePart(type: CType<unknown>, inlineName: string, path: string, out: Built) {
  const declared = type.declaration();
  if (declared && isComposite(type)) return { ts: type.tsType, arg: `${declared.name}Codec` };
  out.inlineCodecs.push({
    name: out.names.claim(inlineName, path, path),
    ts: type.tsType,
    size: type.size,
    encode: type.tsEncode({
      view: 'v',
      offset: 'o',
      value: 'x',
      path: JSON.stringify(path),
      field: "''",
      depth: 0,
    }),
    decode: type.tsDecode({ view: 'v', offset: 'o', depth: 0 }),
  });
  return { ts: type.tsType, arg: inlineName };
}

/** Adds the spec and map type constants of `decl` (and of its inner template) to `out`. */
function build(
  decl: MapDecl,
  prefix: string,
  out: Built,
): { accessorType: string; mapType: string } {
  const parts = decl.kind.accessorArgs.map((part) => PARTS[part](decl, prefix, out));
  const owner = `map ${decl.name}`;
  const spec = out.names.claim(`${prefix}Spec`, owner, owner);
  const mapType = out.names.claim(`${prefix}Map`, owner, owner);
  out.specs.push({ name: spec, literal: tsLiteral(decl.spec, out.refs) });
  out.refs.name(decl.spec, spec);
  out.mapTypes.push({
    name: mapType,
    accessor: decl.kind.accessor,
    args: [spec, ...parts.map((p) => p.arg)].join(', '),
  });
  const typeArgs = parts.length ? `<${parts.map((p) => p.ts).join(', ')}>` : '';
  return { accessorType: `${decl.kind.accessor}${typeArgs}`, mapType };
}

/** The add helpers of the counter fields of `decl`'s value, named `<prefix>_add_<field>`. */
function counterHelpers(decl: MapDecl, prefix: string): MapModel['counters'] {
  const partial = decl.kind.counterAdd;
  const value = decl.value;
  if (!partial || !value) return [];
  const valueRef = value.cTypeRef();
  // A scalar counter value has one helper, <map>_add; a struct one per counter field.
  if (value.meta.counter)
    return [
      {
        partial,
        name: `${prefix}_add`,
        pointer: 'value',
        lvalue: '*value',
        what: 'the value',
        cType: value.cTypeName(),
        valueRef,
      },
    ];
  if (!isComposite(value)) return [];
  return value
    .flatMembers()
    .filter((m) => m.type.meta.counter)
    .map((m) => ({
      partial,
      name: `${prefix}_add_${m.name}`,
      pointer: `&value->${m.name}`,
      lvalue: `value->${m.name}`,
      what: m.name,
      cType: m.type.cTypeName(),
      valueRef,
    }));
}

/**
 * `refs` knows the constants printed before (struct member layouts), so a
 * spec names them; the spec of an inner template prints first, and the outer
 * spec names it.
 */
/** `exportName` names the TS constants (`flowsMap`); `decl.name` the C ones and the kernel map. */
export function mapModel(
  decl: MapDecl,
  exportName: string,
  names: ModuleNames,
  refs: Refs,
): MapModel {
  if (GROUP_MEMBERS.includes(decl.name)) {
    throw new SchemaError(
      'RESERVED_NAME',
      `map ${decl.name}`,
      `the generated Maps object has its own ${decl.name}() (it closes every map), so maps.${decl.name} could not be the map`,
      `Give the map another name, e.g. hash('${decl.name}_map', ...)`,
    );
  }
  const out: Built = { names, refs, specs: [], mapTypes: [], inlineCodecs: [] };
  const built = build(decl, exportName, out);
  const ref = (type: CType<unknown> | undefined) => type?.cTypeRef() ?? '';
  const counters = [
    ...counterHelpers(decl, decl.name),
    ...(decl.inner ? counterHelpers(decl.inner, `${decl.name}_inner`) : []),
  ];
  const summary = (spell: (t: CType<unknown>) => string) => {
    const value = decl.inner ? `maps like ${decl.inner.name}` : decl.value && spell(decl.value);
    const parts = [decl.key && spell(decl.key), value].filter(Boolean).join(' -> ');
    return `${decl.kind.cType}${parts ? ` of ${parts}` : ''}, at most ${decl.maxEntries} entries`;
  };
  return {
    name: decl.name,
    doc: [
      ...commentLines(`${decl.name}: ${summary((t) => t.cTypeName())}.`),
      ...commentLines(decl.doc),
    ],
    jsdoc: jsdoc([
      ...commentLines(`Map ${decl.name}: ${summary((t) => t.tsType)}.`),
      ...commentLines(decl.doc),
    ]),
    definition: decl.kind.definition(decl),
    helpers: decl.kind.helpers.map((partial) => ({ partial })),
    counters,
    keyRef: ref(decl.key),
    valueRef: ref(decl.value),
    innerKeyRef: ref(decl.inner?.key),
    innerValueRef: ref(decl.inner?.value),
    specs: out.specs,
    mapTypes: out.mapTypes,
    mapType: built.mapType,
    accessorType: built.accessorType,
    inlineCodecs: out.inlineCodecs,
  };
}
