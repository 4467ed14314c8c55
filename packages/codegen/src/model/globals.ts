/**
 * The view model of a globals declaration: the C definition of each
 * variable (weak, in its section; const volatile in .rodata) and, for the
 * TS module, its interface, spec and codecs. The names the header defines
 * are only known once it is rendered; checkGlobalNames compares them.
 */
import {
  cComment,
  commentLines,
  GLOBAL_SECTIONS,
  SchemaError,
  type GlobalsDecl,
} from '@bpfmaps/schema';
import { jsdoc } from './comments.js';
import { tsLiteral, type Refs } from './literal.js';
import { codecOf, type InlineCodec } from './maps.js';
import type { ModuleNames } from './names.js';

export interface GlobalsModel {
  /** The schema's export name: the group's key in what openGlobals() returns. */
  exportName: string;
  section: string;
  /** C comment lines and JSDoc of the group. */
  doc: string[];
  jsdoc: string[];
  variables: {
    name: string;
    /** C comment lines (the field's .describe()). */
    doc: string[];
    /** The definition, without its semicolon: `const volatile __u32 targ_pid SEC(".rodata") __weak`. */
    definition: string;
    tsType: string;
    jsdoc: string[];
    codec: string;
  }[];
  /** The TS interface of the group's values, and the constant of its spec. */
  interfaceName: string;
  specName: string;
  spec: string;
  inlineCodecs: InlineCodec[];
}

export function globalsModel(
  decl: GlobalsDecl,
  exportName: string,
  names: ModuleNames,
  refs: Refs,
): GlobalsModel {
  const owner = `globals ${exportName}`;
  const interfaceName = names.claim(
    `${exportName[0]!.toUpperCase()}${exportName.slice(1)}Globals`,
    owner,
    owner,
  );
  const specName = names.claim(`${exportName}Globals`, owner, owner);
  const facts = GLOBAL_SECTIONS[decl.section];
  const summary = `${exportName} (${decl.section}): ${facts.purpose}.`;
  const inlineCodecs: InlineCodec[] = [];
  const variables = Object.entries(decl.variables).map(([name, type]) => {
    const codec = codecOf(
      type,
      `${exportName}_${name}Codec`,
      `global ${name}`,
      names,
      inlineCodecs,
    );
    const where = `\`${facts.cQualifiers}${type.cDeclare(name)}\` in ${decl.section}`;
    return {
      name,
      doc: cComment(type.meta.doc),
      definition: `${facts.cQualifiers}${type.cDeclare(name)} SEC("${decl.section}") __weak`,
      tsType: type.tsType,
      jsdoc: jsdoc([...commentLines(type.meta.doc), where]),
      codec: codec.arg,
    };
  });
  return {
    exportName,
    section: decl.section,
    doc: [...commentLines(summary), ...commentLines(decl.doc)],
    jsdoc: jsdoc([...commentLines(`Globals ${summary}`), ...commentLines(decl.doc)]),
    variables,
    interfaceName,
    specName,
    spec: tsLiteral(decl.spec, refs),
    inlineCodecs,
  };
}

/**
 * Throws SchemaError when a global takes a name the rendered header defines
 * or calls (a map's helper such as `flows_lookup`, a libbpf helper): C
 * would refuse the header, or call the variable.
 */
export function checkGlobalNames(globals: readonly GlobalsModel[], header: string): void {
  const code = header.replace(/\/\*[\s\S]*?\*\//g, ' ');
  const called = new Set([...code.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]!));
  for (const { exportName, variables } of globals) {
    for (const { name } of variables) {
      if (called.has(name)) {
        throw new SchemaError(
          'RESERVED_NAME',
          `global ${name}`,
          `export ${exportName} declares it, but the generated header has a function or macro of that name`,
          'Rename the global',
        );
      }
    }
  }
}
