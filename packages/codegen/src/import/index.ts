/**
 * `codegen import`: a schema file from a BPF object written in C, read from
 * its BTF: the maps of its `.maps` section (kind, key, value, limits, flags,
 * pinning, inner maps), the globals of `.rodata`, `.data` and `.bss`, the
 * event structs of its ring and perf buffers, and every type they use. Each
 * imported type is checked against the object's BTF member by member before
 * anything is written, so generating from the schema gives the object's
 * layouts exactly.
 */
import { basename } from 'node:path';
import {
  Btf,
  BtfFormatError,
  bytes,
  catalog,
  mapFlags,
  kindOfId,
  decodeReference,
  elfKind,
  readSection,
  readSections,
  readSymbols,
  typeDifferences,
  type ElfSection,
  type ElfSymbol,
  type BtfType,
  type CType,
  type MapDecl,
  type MapKind,
} from '@bpfmaps/schema';
import * as dsl from '@bpfmaps/schema';
import { CodegenError } from '../errors.js';
import { tsLiteral } from '../model/literal.js';
import { mapDefs, type MapDef } from './map-defs.js';
import { camelCase, pascalCase, TypeImporter, type Imported } from './types.js';

export interface ImportOptions {
  /** Import only these maps (their C names); default every map. */
  maps?: readonly string[];
  /** Also declare these structs, unions or enums (C names), used or not. */
  types?: readonly string[];
  /** The event struct (C name) of each ring buffer or perf event array, by map. */
  events?: Readonly<Record<string, string>>;
}

export interface ImportResult {
  /** The schema file's source, unformatted. */
  code: string;
  /** What was left out or read approximately, one line each. */
  notes: string[];
  maps: string[];
  types: string[];
  globals: string[];
}

const SECTIONS = ['.rodata', '.data', '.bss'] as const;

/** clang keeps in BTF only the types something global names: how to keep an event struct. */
const KEEP_IN_BTF =
  'A struct only local variables use is not in the BTF: keep it there with a global pointer, `struct event *unused_event __attribute__((unused));`';
const EXPORT_OF_SECTION: Record<(typeof SECTIONS)[number], string> = {
  '.rodata': 'rodata',
  '.data': 'data',
  '.bss': 'bss',
};

/** A schema file for the object `image` (read from `path`); throws CodegenError naming what cannot be imported. */
export function importSchema(
  image: Uint8Array,
  path: string,
  options: ImportOptions = {},
): ImportResult {
  const source = basename(path);
  checkElf(image, source);
  const section = readSection(image, '.BTF');
  if (!section)
    throw new CodegenError(
      `${source} has no BTF (no .BTF section): is it a BPF object built with clang -g?`,
    );
  let btf: Btf;
  try {
    btf = new Btf(section, source);
  } catch (error) {
    if (error instanceof BtfFormatError)
      throw new CodegenError(`${source}: its BTF cannot be read: ${error.why}`);
    throw error;
  }
  const notes: string[] = [];
  const all = mapDefs(btf, source);
  const unknown = (options.maps ?? []).filter((m) => !all.some((d) => d.name === m));
  if (unknown.length > 0)
    throw new CodegenError(
      `${source} has no map ${unknown.join(', ')}; it has: ${all.map((d) => d.name).join(', ') || 'none'}`,
    );
  const wanted = options.maps ? all.filter((d) => options.maps!.includes(d.name)) : all;
  const events = checkEvents(options.events ?? {}, all, btf, source);
  const initialised = staticallyFilled(image);
  const importer = new TypeImporter(
    btf,
    source,
    notes,
    wanted.map((d) => camelCase(d.name)),
  );
  const mapCode: string[] = [];
  const module: Record<string, unknown> = {};
  const eventMaps = new Set(
    wanted.filter((d) => kindOfId(d.type)?.parts.includes('event')).map((d) => d.name),
  );
  for (const def of wanted) {
    // A bpfmaps header's drop counter comes back with its ring buffer.
    if (/_drops$/.test(def.name) && eventMaps.has(def.name.slice(0, -'_drops'.length))) continue;
    const kind = kindOfId(def.type);
    if (!kind) {
      notes.push(`map ${def.name}: map type ${def.type} has no bpfmaps kind; left out`);
      continue;
    }
    const exportName = camelCase(def.name);
    const { code, decl } = mapDeclaration({ importer, btf, events, notes }, def, kind);
    if (initialised.has(def.name))
      notes.push(
        `map ${def.name} is filled in C (.values = { ... }); the header's definition starts empty: set its slots from user space (maps.${def.name}.set(index, ...)), or keep its definition in C`,
      );
    module[exportName] = decl;
    mapCode.push(`export const ${exportName} = ${code};`);
  }
  const globalCode: string[] = [];
  const globalNames: string[] = [];
  const symbols = readSymbols(image);
  const sections = readSections(image);
  for (const datasec of btf.types.filter((t) => t.kind === 'datasec')) {
    // A schema declares .rodata, .data and .bss; a custom .data.* or .rodata.* section is read by name.
    if (/^\.(rodata|data|bss)\./.test(datasec.name))
      for (const e of datasec.entries!)
        notes.push(
          `global ${btf.type(e.type).name} (${datasec.name}): a custom section, which a schema does not declare; left out (read it with obj.global(name, type))`,
        );
  }
  for (const name of SECTIONS) {
    const [datasec] = btf.named(name, 'datasec');
    const variables = (datasec?.entries ?? [])
      .map((e) => btf.type(e.type))
      .filter((v) => v.kind === 'var' && v.linkage === 1);
    if (variables.length === 0) continue;
    const fields: string[] = [];
    const types: Record<string, CType<unknown>> = {};
    for (const v of variables) {
      if (v.name.startsWith('__')) {
        notes.push(`global ${v.name} (${name}): a name a schema cannot give; left out`);
        continue;
      }
      // A pointer global is kernel state (or an anchor keeping a type in the BTF), not a value to share.
      if (btf.resolve(v.type).type.kind === 'ptr') {
        notes.push(`global ${v.name} (${name}): a pointer; left out`);
        continue;
      }
      const imported = importer.type(v.type, `global ${v.name}`);
      checkImported(importer, `global ${v.name}`, imported, v.type);
      const initial = initialValue(v.name, name, imported, symbols, sections);
      if (initial !== undefined)
        notes.push(
          `global ${v.name} (${name}) starts as ${initial} in C; the header's definition starts zeroed: keep the C definition with its value after the include (C completes the header's), or set it before load (openGlobals(obj).${EXPORT_OF_SECTION[name]}.${v.name} = ...)`,
        );
      fields.push(`${v.name}: ${imported.expr}`);
      types[v.name] = imported.type;
      globalNames.push(v.name);
    }
    if (fields.length === 0) continue;
    const exportName = importer.claim(EXPORT_OF_SECTION[name]);
    importer.used.add('globals');
    module[exportName] = dsl.globals(name, types);
    globalCode.push(`export const ${exportName} = globals('${name}', { ${fields.join(', ')} });`);
  }
  for (const name of options.types ?? []) {
    const found = btf.types.find(
      (t) => t.name === name && ['struct', 'union', 'enum', 'enum64'].includes(t.kind),
    );
    if (!found)
      throw new CodegenError(`${source} has no struct, union or enum named ${name} (--types)`);
    importer.type(found.id, `type ${name}`);
  }
  // The catalog finds what the declarations break together (names C shares, for one).
  try {
    catalog(
      {
        ...module,
        ...Object.fromEntries(importer.declarations.map((d) => [d.exportName, d.type])),
      },
      `${source} (imported)`,
    );
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'SchemaError') throw error;
    throw new CodegenError(`${source}: the imported schema is not valid: ${error.message}`);
  }
  const code = [
    '/**',
    ` * Imported by \`codegen import\` from ${source.replace(/\*\//g, '*\\/')} (its BTF): the maps,`,
    ' * globals and types the object declares. This file is the schema now: edit',
    ' * it (name things, document fields with .describe()), then run codegen on it.',
    ' */',
    `import { ${[...importer.used, ...(mapCode.some((c) => c.includes('mapFlags.')) ? ['mapFlags'] : [])].sort().join(', ')} } from '@bpfmaps/schema';`,
    '',
    ...importer.declarations.map((d) => d.code),
    ...(globalCode.length ? ['', ...globalCode] : []),
    ...(mapCode.length ? ['', ...mapCode] : []),
    '',
  ].join('\n');
  return {
    code,
    notes,
    maps: mapCode.map((c) => /^export const (\w+)/.exec(c)![1]!),
    types: importer.declarations.map((d) => d.exportName),
    globals: globalNames,
  };
}

/** Throws when an imported type does not lay out as the object's BTF says (a bug, reported as one). */
function checkImported(importer: TypeImporter, what: string, imported: Imported, id: number): void {
  const differences = typeDifferences(what, imported.type.typeSpec(), importer.btf.typeSpec(id));
  if (differences.length > 0)
    throw new CodegenError(
      `${importer.source}: ${what} imports with another layout than the object's (${differences.join('; ')}); please report this`,
    );
}

/** The part of a map the definition gives by type or, failing that, by size (as bytes). */
function part(
  importer: TypeImporter,
  def: MapDef,
  which: 'key' | 'value',
  notes: string[],
): Imported | undefined {
  const id = def[which];
  const what = `map ${def.name}.${which}`;
  if (id !== undefined) {
    const imported = importer.type(id, what);
    checkImported(importer, what, imported, id);
    return imported;
  }
  const size = which === 'key' ? def.keySize : def.valueSize;
  if (!size) return undefined;
  notes.push(
    `${what}: the definition gives a size (${size}), not a type; imported as bytes(${size})`,
  );
  importer.used.add('bytes');
  return { type: bytes(size), expr: `bytes(${size})` };
}

/** What declaring a map needs: the types so far, the object's BTF, the --event choices, the notes. */
interface Context {
  importer: TypeImporter;
  btf: Btf;
  events: Readonly<Record<string, string>>;
  notes: string[];
}

/** An option of a declaration: its value, and how the schema file spells it. */
type Option = [name: string, value: unknown, text: string];

/**
 * The declaration of one map, built with the DSL (so the kind checks it)
 * and spelled for the schema file. Options follow the kind's parts: a key
 * where keys are not fixed indexes, a value, an inner template, events.
 */
function mapDeclaration(cx: Context, def: MapDef, kind: MapKind): { code: string; decl: MapDecl } {
  const { importer, notes } = cx;
  const options: Option[] = [];
  const add = (name: string, imported: Imported | undefined) =>
    imported && options.push([name, imported.type, imported.expr]);
  if (kind.parts.includes('event')) {
    // The kernel's key and value of an events map are fds or nothing: the declaration takes the events.
    add('event', eventType(cx, def));
    if (!kind.cpuSized) options.push(['size', def.maxEntries, String(def.maxEntries)]);
    else if (def.maxEntries) options.push(['maxEntries', def.maxEntries, String(def.maxEntries)]);
  } else {
    if (kind.parts.includes('key') && !kind.fixedKeys)
      add('key', part(importer, def, 'key', notes));
    if (kind.parts.includes('value')) add('value', part(importer, def, 'value', notes));
    if (kind.parts.includes('inner')) add('inner', innerTemplate(cx, def));
    if (def.maxEntries || !kind.cpuSized)
      options.push(['maxEntries', def.maxEntries, String(def.maxEntries)]);
  }
  const names = (Object.keys(mapFlags) as (keyof typeof mapFlags)[]).filter(
    (n) => def.flags & mapFlags[n],
  );
  const known = names.reduce((a, n) => a | mapFlags[n], 0);
  if (known !== def.flags)
    notes.push(
      `map ${def.name}: flags 0x${(def.flags & ~known).toString(16)} are none bpfmaps knows; left out`,
    );
  if (known) options.push(['flags', known, names.map((n) => `mapFlags.${n}`).join(' | ')]);
  // map_extra is a bloom filter's number of hash functions: the one kind that has it.
  if (def.extra) options.push(['hashes', def.extra, String(def.extra)]);
  if (def.pinning === 1) options.push(['pinning', 'byName', "'byName'"]);
  const declare = (dsl as unknown as Record<string, (name: string, o: object) => MapDecl>)[
    kind.name
  ];
  if (!declare)
    throw new CodegenError(`map ${def.name}: no declaration function for kind ${kind.name}`);
  let decl: MapDecl;
  try {
    decl = declare(def.name, Object.fromEntries(options.map(([n, v]) => [n, v])));
  } catch (error) {
    throw new CodegenError(
      `${importer.source}: map ${def.name} cannot be declared in a schema: ${(error as Error).message}`,
    );
  }
  importer.used.add(kind.name);
  return {
    code: `${kind.name}('${def.name}', { ${options.map(([n, , t]) => `${n}: ${t}`).join(', ')} })`,
    decl,
  };
}

/** The inner map template of a map of maps, declared inline. */
function innerTemplate(cx: Context, def: MapDef): Imported {
  const { importer } = cx;
  const inner = def.inner;
  if (!inner)
    throw new CodegenError(
      `${importer.source}: map ${def.name} is a map of maps without an inner template (__array(values, struct {...})), which a schema needs`,
    );
  const kind = kindOfId(inner.type);
  if (!kind)
    throw new CodegenError(
      `${importer.source}: the inner maps of ${def.name} are of map type ${inner.type}, which has no bpfmaps kind`,
    );
  const { code, decl } = mapDeclaration(cx, { ...inner, name: inner.name.slice(0, 15) }, kind);
  return { type: decl as never, expr: code };
}

/** Throws CodegenError saying what `image` is when it is no little-endian 64-bit ELF file. */
function checkElf(image: Uint8Array, source: string): void {
  const kind = elfKind(image);
  if (kind === 'not-elf')
    throw new CodegenError(
      `${source} is not an ELF file: name a BPF object (clang -g -target bpf -c prog.bpf.c -o prog.bpf.o)`,
    );
  if (kind === '32-bit')
    throw new CodegenError(`${source} is a 32-bit ELF file, not a BPF object (those are 64-bit)`);
  if (kind === 'big-endian')
    throw new CodegenError(
      `${source} is a big-endian object (clang -target bpfeb): only little-endian objects are read; build with -target bpf (or bpfel)`,
    );
}

/** A global's initial value in C, as text, when it is not all zeros (where the header's definition starts). */
function initialValue(
  name: string,
  section: string,
  imported: Imported,
  symbols: readonly ElfSymbol[],
  sections: readonly ElfSection[],
): string | undefined {
  const symbol = symbols.find((s) => s.name === name && s.section === section);
  const bytes = sections.find((s) => s.name === section && s.type !== 8)?.bytes;
  if (!symbol || !bytes || symbol.offset + symbol.size > bytes.length) return undefined;
  // A copy: the reference codec reads from the start of its buffer.
  const value = new Uint8Array(bytes.subarray(symbol.offset, symbol.offset + symbol.size));
  if (value.every((b) => b === 0)) return undefined;
  try {
    return tsLiteral(decodeReference(imported.type, value));
  } catch {
    return 'a value other than zero';
  }
}

/** The maps whose definitions C fills (`.values = { [0] = &inner }`): libbpf finds those as relocations of `.maps`. */
function staticallyFilled(image: Uint8Array): Set<string> {
  const sections = readSections(image);
  const rel = sections.find((s) => s.name === '.rel.maps');
  if (!rel) return new Set();
  const maps = readSymbols(image).filter((s) => s.section === '.maps');
  const v = new DataView(rel.bytes.buffer, rel.bytes.byteOffset, rel.bytes.byteLength);
  const filled = new Set<string>();
  for (let at = 0; at + 16 <= rel.bytes.length; at += 16) {
    const offset = Number(v.getBigUint64(at, true));
    const map = maps.find((m) => offset >= m.offset && offset < m.offset + m.size);
    if (map) filled.add(map.name);
  }
  return filled;
}

/** `--event map=struct` pairs, checked: the map exists and carries events, the struct exists. */
function checkEvents(
  events: Readonly<Record<string, string>>,
  maps: readonly MapDef[],
  btf: Btf,
  source: string,
): Readonly<Record<string, string>> {
  for (const [map, struct] of Object.entries(events)) {
    const def = maps.find((d) => d.name === map);
    if (!def)
      throw new CodegenError(
        `${source}: --event ${map}=${struct}: the object has no map ${map}; it has: ${maps.map((d) => d.name).join(', ') || 'none'}`,
      );
    const kind = kindOfId(def.type);
    if (!kind?.parts.includes('event'))
      throw new CodegenError(
        `${source}: --event ${map}=${struct}: map ${map} is ${kind ? `a ${kind.name}` : `of map type ${def.type}`}, not a ring buffer or perf event array`,
      );
    const found = btf.named(struct).find((t) => t.kind !== 'datasec' && t.kind !== 'var');
    if (found && found.kind !== 'struct')
      throw new CodegenError(
        `${source}: --event ${map}=${struct}: ${struct} is ${found.kind === 'enum' || found.kind === 'enum64' ? 'an enum' : `a ${found.kind}`}, and events are structs`,
      );
  }
  return events;
}

/** The struct a ring or perf buffer carries: named by --event, or the one struct the object names as an event. */
function eventType(cx: Context, def: MapDef): Imported {
  const { importer, btf, events, notes } = cx;
  const structs = btf.types.filter((t) => t.kind === 'struct' && t.name !== '');
  const named = events[def.name];
  let found: BtfType | undefined;
  if (named !== undefined) {
    found = structs.find((t) => t.name === named);
    if (!found)
      throw new CodegenError(
        `${importer.source}: --event ${def.name}=${named}: the object's BTF has no struct ${named}. ${KEEP_IN_BTF}`,
      );
  } else {
    // libbpf-tools call it event; tracepoint contexts (trace_event_raw_*) are no candidates.
    const exact = structs.filter((t) => t.name === 'event');
    const candidates = exact.length
      ? exact
      : structs.filter((t) => /(^|_)event$/i.test(t.name) && !t.name.startsWith('trace_'));
    if (candidates.length !== 1)
      throw new CodegenError(
        `${importer.source}: map ${def.name} carries events, and the object's BTF does not say which struct they are; name it: --event ${def.name}=<struct> (the object's structs: ${structs.map((t) => t.name).join(', ') || 'none'}). ${KEEP_IN_BTF}`,
      );
    found = candidates[0]!;
    notes.push(
      `map ${def.name}: its events taken to be struct ${found.name}, the one struct named as an event (--event ${def.name}=<struct> to choose)`,
    );
  }
  const imported = importer.type(found.id, `event of ${def.name}`);
  if (imported.expr !== pascalCase(found.name) && !/^[A-Z]/.test(imported.expr))
    throw new CodegenError(`${importer.source}: the events of ${def.name} must be a struct`);
  return imported;
}
