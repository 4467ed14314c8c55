/**
 * The view model of one map: what its kind says (definition lines, helper
 * partials, accessor and its arguments) and what its declaration computed
 * (the spec), printed as data. Nothing here asks which kind a map is.
 */
import {
  cComment,
  commentLines,
  eventStructs,
  isComposite,
  isTaggedEvents,
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
  /** Maps that come with this one (its drop counter), defined before it. */
  companions: { name: string; doc: string[]; definition: string[] }[];
  /**
   * For an events map: its drop counter, and each event variant with the
   * helper name suffix (`_exec_event` when tagged), the C type, the tag to
   * set and the tail. Undefined for other maps.
   */
  events:
    | {
        drops: string;
        variants: {
          suffix: string;
          cType: string;
          tag: { field: string; constant: string } | undefined;
          tail: string | undefined;
          /** The field that says how much of the tail is used, set by the tail helpers. */
          tailLength: string | undefined;
          /** C comments of the variant's helpers. */
          docs: { reserve: string[]; output: string[]; outputTail: string[] };
        }[];
      }
    | undefined;
  /** Statics that keep the event structs in the object's BTF, where opening checks them. */
  anchors: { symbol: string; params: { cType: string; name: string }[] }[];
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
  /** Constants of data (map specs, event specs), inner template first: name, TS type and literal. */
  specs: { name: string; type: string; literal: string }[];
  /** Type aliases the map needs (the events of a ring buffer). */
  types: { name: string; definition: string }[];
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
  types: MapModel['types'];
  specs: MapModel['specs'];
  mapTypes: MapModel['mapTypes'];
  inlineCodecs: InlineCodec[];
}

/** How each part becomes an accessor's type argument and constructor argument. */
type PartPrinter = (decl: MapDecl, prefix: string, out: Built) => { ts: string; arg: string };

const PARTS: Record<Part, PartPrinter> = {
  key: (decl, prefix, out) =>
    codecOf(decl.key!, `${prefix}KeyCodec`, `map ${decl.name}.key`, out.names, out.inlineCodecs),
  value: (decl, prefix, out) =>
    codecOf(
      decl.value!,
      `${prefix}ValueCodec`,
      `map ${decl.name}.value`,
      out.names,
      out.inlineCodecs,
    ),
  inner: (decl, prefix, out) => {
    const inner = build(decl.inner!, `${prefix}Inner`, out);
    return { ts: inner.accessorType, arg: inner.mapType };
  },
  event: (decl, prefix, out) => {
    const owner = `map ${decl.name}`;
    const event = decl.spec.event!;
    const typeName = out.names.claim(
      `${prefix[0]!.toUpperCase()}${prefix.slice(1)}Event`,
      owner,
      owner,
    );
    const specName = out.names.claim(`${prefix}EventSpec`, owner, owner);
    out.specs.push({ name: specName, type: 'EventSpec', literal: tsLiteral(event, out.refs) });
    out.refs.name(event, specName);
    // Tagged events narrow on their tag, which names the variant's enum member.
    const tag = event.tag;
    const members = isTaggedEvents(decl.event) ? decl.event.list().map((v) => v.member) : [];
    const variants = event.variants.map((v, i) =>
      tag ? `(${v.name} & { ${tag.field}: '${members[i]}' })` : v.name,
    );
    const definition = tag
      ? [...variants, `UnknownEvent<'${tag.field}'>`].join(' | ')
      : variants[0]!;
    out.types.push({ name: typeName, definition });
    const codecs = event.variants.map((v) => `${v.name}Codec`).join(', ');
    return { ts: typeName, arg: `eventDecoder<${typeName}>(${specName}, [${codecs}])` };
  },
};

/**
 * The codec of `type` in the generated module: a struct's or union's own, or
 * one printed inline (named `inlineName`, added to `inlineCodecs`) for the rest.
 */
export function codecOf(
  type: CType<unknown>,
  inlineName: string,
  path: string,
  names: ModuleNames,
  inlineCodecs: InlineCodec[],
): { ts: string; arg: string } {
  const declared = type.declaration();
  if (declared && isComposite(type)) return { ts: type.tsType, arg: `${declared.name}Codec` };
  inlineCodecs.push({
    name: names.claim(inlineName, path, path),
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
  out.specs.push({ name: spec, type: 'MapSpec', literal: tsLiteral(decl.spec, out.refs) });
  out.refs.name(decl.spec, spec);
  out.mapTypes.push({
    name: mapType,
    accessor: decl.kind.accessor,
    args: [spec, ...parts.map((p) => p.arg)].join(', '),
  });
  const typeArgs = parts.length ? `<${parts.map((p) => p.ts).join(', ')}>` : '';
  return { accessorType: `${decl.kind.accessor}${typeArgs}`, mapType };
}

/** The helper name suffix, C type, tag and tail of each event variant of `decl`. */
function eventVariantModels(decl: MapDecl): NonNullable<MapModel['events']>['variants'] {
  const event = decl.event!;
  const ring = !decl.kind.cpuSized;
  const where = ring ? 'the ring' : "this CPU's buffer";
  const docs = (cType: string, tagged: string, tail: string | undefined, length?: string) => ({
    reserve: cComment(
      `Room for one ${cType} in the ring${tagged}, or NULL when it is full (counted as a drop). ` +
        `Fill it, then ${decl.name}_submit() or ${decl.name}_discard() it.`,
    ),
    output: cComment(`Copies *e into ${where}${tagged}: 0, or an error (counted as a drop).`),
    outputTail: cComment(
      tail &&
        `Copies *e into ${where}${tagged}, its ${tail} cut to tail_bytes` +
          (length ? ` (and sets ${length} to the bytes sent)` : '') +
          `: user space reads ${tail} up to what came. 0, or an error (counted as a drop).`,
    ),
  });
  if (!isTaggedEvents(event)) {
    const cType = event.cTypeName();
    const tail = event.tail?.field;
    const tailLength = event.tail?.length;
    return [
      {
        suffix: '',
        cType,
        tag: undefined,
        tail,
        tailLength,
        docs: docs(cType, '', tail, tailLength),
      },
    ];
  }
  const constants = new Map(
    event.tagType.constants().map((k, i) => [Object.keys(event.tagType.values)[i]!, k.name]),
  );
  const variants = event.list();
  // Helpers are named after the struct; a struct sent under two tags is named after each tag.
  const shared = (cName: string) => variants.filter((v) => v.type.cName === cName).length > 1;
  return variants.map((v) => {
    const cType = v.type.cTypeName();
    const constant = constants.get(v.member)!;
    const tail = v.type.tail?.field;
    return {
      tailLength: v.type.tail?.length,
      suffix: `_${shared(v.type.cName) ? v.member.toLowerCase() : v.type.cName}`,
      cType,
      tag: { field: event.field, constant },
      tail,
      docs: docs(cType, `, tagged ${constant}`, tail, v.type.tail?.length),
    };
  });
}

/**
 * Functions never called whose pointer parameters keep the event structs
 * in the object's BTF: libbpf loads them without a word, `bpftool gen
 * object` links them, and clang takes at most five parameters for BPF.
 */
function anchorFunctions(map: string, cTypes: string[]): MapModel['anchors'] {
  const anchors: MapModel['anchors'] = [];
  for (let i = 0; i < cTypes.length; i += 5) {
    anchors.push({
      symbol: `bpfmaps_events_${map}_${i / 5}`,
      params: cTypes.slice(i, i + 5).map((cType, j) => ({ cType, name: `e${i + j}` })),
    });
  }
  return anchors;
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
  const out: Built = { names, refs, specs: [], types: [], mapTypes: [], inlineCodecs: [] };
  const built = build(decl, exportName, out);
  const ref = (type: CType<unknown> | undefined) => type?.cTypeRef() ?? '';
  const counters = [
    ...counterHelpers(decl, decl.name),
    ...(decl.inner ? counterHelpers(decl.inner, `${decl.name}_inner`) : []),
  ];
  const summary = (spell: (t: CType<unknown>) => string) => {
    const value = decl.inner ? `maps like ${decl.inner.name}` : decl.value && spell(decl.value);
    const parts = [decl.key && spell(decl.key), value].filter(Boolean).join(' -> ');
    if (decl.event) {
      const what = `${decl.kind.cType} of ${eventStructs(decl.event).map(spell).join(' | ')} events`;
      return decl.kind.cpuSized ? `${what}, a buffer per CPU` : `${what}, ${decl.maxEntries} bytes`;
    }
    return `${decl.kind.cType}${parts ? ` of ${parts}` : ''}, at most ${decl.maxEntries} entries`;
  };
  const eventVariants = decl.event ? eventVariantModels(decl) : undefined;
  return {
    name: decl.name,
    companions: Object.entries(decl.companions).map(([role, c]) => ({
      name: c.name,
      doc: commentLines(
        `${c.name}: the ${role} of ${decl.name}, ${c.kind.cType} of ${c.value?.cTypeName()}.`,
      ),
      definition: c.kind.definition(c),
    })),
    events: eventVariants && { drops: decl.companions.drops!.name, variants: eventVariants },
    anchors: anchorFunctions(
      decl.name,
      (eventVariants ?? []).map((v) => v.cType),
    ),
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
    types: out.types,
    mapTypes: out.mapTypes,
    mapType: built.mapType,
    accessorType: built.accessorType,
    inlineCodecs: out.inlineCodecs,
  };
}
