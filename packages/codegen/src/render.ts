import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { FileModel } from './model.js';

const TEMPLATES = new URL('../templates/', import.meta.url);

function compile(name: string): (model: FileModel) => string {
  const source = readFileSync(new URL(name, TEMPLATES), 'utf8');
  // strict: a name missing from the model is an error, not an empty string.
  return Handlebars.compile<FileModel>(source, { noEscape: true, strict: true });
}

const header = compile('header.h.hbs');
const module = compile('module.ts.hbs');

// Every generated file ends with exactly one newline, whatever the template's end.
const ending = (text: string) => `${text.trimEnd()}\n`;

export function renderHeader(model: FileModel): string {
  return ending(header(model));
}

export function renderModule(model: FileModel): string {
  return ending(module(model));
}
