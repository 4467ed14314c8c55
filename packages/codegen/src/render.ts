import { readdirSync, readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { FileModel } from './model/index.js';

const TEMPLATES = new URL('../templates/', import.meta.url);

// One environment of our own: users' Handlebars helpers and partials never leak in.
const handlebars = Handlebars.create();

// Each kernel helper a map kind offers is a partial named for it (templates/helpers/lookup.h.hbs -> "lookup").
for (const file of readdirSync(new URL('helpers/', TEMPLATES))) {
  handlebars.registerPartial(
    file.replace(/\.h\.hbs$/, ''),
    readFileSync(new URL(`helpers/${file}`, TEMPLATES), 'utf8'),
  );
}

function compile(name: string): (model: FileModel) => string {
  const source = readFileSync(new URL(name, TEMPLATES), 'utf8');
  // strict: a name missing from the model is an error, not an empty string.
  return handlebars.compile<FileModel>(source, { noEscape: true, strict: true });
}

const header = compile('header.h.hbs');
const module = compile('module.ts.hbs');

/** The formatting of every generated TS file (and of the repository, .prettierrc.json). */
const PRETTIER = {
  parser: 'typescript',
  printWidth: 100,
  singleQuote: true,
  trailingComma: 'all',
} as const;

export function renderHeader(model: FileModel): string {
  // Every generated file ends with exactly one newline, whatever the template's end.
  return `${header(model).trimEnd()}\n`;
}

/** The TS module, formatted by prettier (loaded on first use: it is large). */
export async function renderModule(model: FileModel): Promise<string> {
  return formatTs(module(model));
}

/** TS source as every file codegen writes is formatted. */
export async function formatTs(source: string): Promise<string> {
  const { format } = await import('prettier');
  return format(source, PRETTIER);
}
