/**
 * The generated header includes <linux/types.h> and <linux/bpf.h> (and
 * <bpf/bpf_helpers.h> in BPF programs): a schema type, enum constant, field
 * or map named like something those declare would make the header fail to
 * compile (`redefinition of 'xdp_md'`) or be rewritten by a macro. The
 * names come from data/uapi-names.json (scripts/uapi-names.ts lists them
 * from the installed headers; a test keeps it current).
 */
import { readFileSync } from 'node:fs';
import { SchemaError, type Catalog } from '@bpfmaps/schema';

type Category = 'tags' | 'identifiers' | 'macros';

let loaded: Record<Category, Map<string, string>> | undefined;

/** Each name of a category and the header that declares it (`<linux/bpf.h>`). */
function systemNames(): Record<Category, Map<string, string>> {
  if (loaded) return loaded;
  const data = JSON.parse(
    readFileSync(new URL('../data/uapi-names.json', import.meta.url), 'utf8'),
  ) as { headers: Record<string, Record<Category, string>> };
  loaded = { tags: new Map(), identifiers: new Map(), macros: new Map() };
  for (const [header, lists] of Object.entries(data.headers))
    for (const category of Object.keys(loaded) as Category[])
      for (const name of lists[category].split(' ').filter(Boolean))
        loaded[category].set(name, `<${header}>`);
  return loaded;
}

/**
 * Throws SchemaError, naming the schema file and every clash with how to
 * fix it, when a C name of the schema is one the header's includes declare.
 */
export function checkSystemHeaderNames(catalog: Catalog, source: string): void {
  const { tags, identifiers, macros } = systemNames();
  const clashes: string[] = [];
  const declared = (name: string, ...lists: Map<string, string>[]) =>
    lists.map((names) => names.get(name)).find(Boolean);
  for (const d of [...catalog.composites, ...catalog.enums]) {
    const spelled = `${'keyword' in d ? d.keyword : 'enum'} ${d.cName}`;
    const by = declared(d.cName, tags, macros);
    if (by)
      clashes.push(`${d.name} is ${spelled} in C, which ${by} declares too: give it another cName`);
  }
  for (const e of catalog.enums) {
    for (const k of e.constants()) {
      const by = declared(k.name, identifiers, macros);
      if (by)
        clashes.push(
          `${e.name}'s constant ${k.name} is declared by ${by} too: give ${e.name} another cName`,
        );
    }
  }
  for (const s of catalog.composites) {
    for (const m of s.flatMembers()) {
      const by = declared(m.name, macros);
      if (by) clashes.push(`${s.name}.${m.name} is a macro of ${by}: rename the field`);
    }
  }
  for (const { decl } of catalog.maps) {
    const by = declared(decl.name, identifiers, macros);
    if (by) clashes.push(`map ${decl.name} is declared by ${by} too: give the map another name`);
  }
  for (const { decl } of catalog.globals) {
    for (const name of Object.keys(decl.variables)) {
      const by = declared(name, identifiers, macros);
      if (by) clashes.push(`global ${name} is declared by ${by} too: rename the global`);
    }
  }
  if (clashes.length > 0) {
    throw new SchemaError(
      'RESERVED_NAME',
      source,
      `the generated header includes <linux/types.h>, <linux/bpf.h> and (for BPF) <bpf/bpf_helpers.h>, which declare these names already:\n  ${clashes.join('\n  ')}`,
    );
  }
}
