/**
 * User text in generated files: documentation goes into C comments and
 * JSDoc, so it must never end the comment it sits in, start a nested one,
 * or end a line where the language would see code.
 */

/** Widest documentation line, before indentation. */
const WIDTH = 72;

/** Splits text into lines safe inside a block comment, each wrapped at WIDTH. */
export function commentLines(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .split(/\r\n|[\n\r\u2028\u2029]/)
    .map((line) => safe(line).trimEnd())
    .flatMap((line) => wrap(line, WIDTH));
}

/**
 * `*\/` would end the comment and `/*` nests one (clang -Werror=comment);
 * `??` starts a trigraph in strict ISO C; control characters are dropped,
 * and so are bidirectional overrides, which can make a comment read as code
 * ("Trojan Source"). What is left reads the same.
 */
function safe(line: string): string {
  return line
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .replace(/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g, '')
    .replace(/\t/g, ' ')
    .replace(/\*\//g, '*\\/')
    .replace(/\/\*/g, '/\\*')
    .replace(/\?(?=\?)/g, '?\\');
}

function wrap(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      out.push(current);
      current = word;
    } else {
      current = current ? `${current} ${word}` : word;
    }
  }
  if (current) out.push(current);
  return out;
}

/** A C comment above a member: one line, or a block for longer text. */
export function cComment(text: string | undefined): string[] {
  const lines = commentLines(text);
  if (lines.length === 0) return [];
  if (lines.length === 1) return [`/* ${lines[0]} */`];
  return ['/*', ...lines.map((l) => (l ? ` * ${l}` : ' *')), ' */'];
}

/** JSDoc lines: the user's documentation, then where the field lives. */
export function docText(doc: string | undefined, where: string): string[] {
  return [...commentLines(doc), where];
}
