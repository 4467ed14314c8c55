/**
 * The names the generated header defines at file scope: its maps and its
 * helper functions. The schema checks the names it is given, but a helper's
 * name is made from a map's (`ev_reserve` for ring `ev`), so a map named
 * like another map's helper, or two event variants sharing a helper name,
 * pass the schema and fail in clang. Read from the rendered header, so
 * every template's names are covered without a list to keep in step.
 */
import { CodegenError } from './errors.js';

export interface Definition {
  name: string;
  what: 'map' | 'function';
}

const MAP = /^\} ([A-Za-z_]\w*) SEC\("\.maps"\)/gm;
/**
 * A function's name starts the line after its `static` return type, or ends
 * a one-line `static` declaration with its parameter list.
 */
const FUNCTION = /^static [^\n]*\n([A-Za-z_]\w*)\(|^static [^\n]*?\b([A-Za-z_]\w*)\([^()\n]*\)$/gm;

/** Every map and function `header` defines, in order. */
export function headerDefinitions(header: string): Definition[] {
  const found: (Definition & { at: number })[] = [];
  for (const m of header.matchAll(MAP)) found.push({ name: m[1]!, what: 'map', at: m.index });
  for (const m of header.matchAll(FUNCTION))
    found.push({ name: (m[1] ?? m[2])!, what: 'function', at: m.index });
  return found.sort((a, b) => a.at - b.at).map(({ name, what }) => ({ name, what }));
}

/** Throws CodegenError naming every name the header would define twice. */
export function checkHeaderNames(header: string, source: string): void {
  const seen = new Map<string, Definition>();
  const clashes: string[] = [];
  for (const d of headerDefinitions(header)) {
    const first = seen.get(d.name);
    if (!first) seen.set(d.name, d);
    else
      clashes.push(
        `${d.name} would be defined twice in the C header (${describe(first)} and ${describe(d)}): rename the map${d.what === 'function' && first.what === 'function' ? ' or the event struct' : ''} so the names differ`,
      );
  }
  if (clashes.length > 0) throw new CodegenError(`${source}:\n  ${clashes.join('\n  ')}`);
}

function describe(d: Definition): string {
  return d.what === 'map' ? 'a map' : 'a helper function';
}
