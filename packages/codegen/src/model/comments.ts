/** JSDoc lines for generated TS: `/** text *\/` when one line, a block otherwise. */
export function jsdoc(lines: readonly string[]): string[] {
  if (lines.length === 0) return [];
  if (lines.length === 1) return [`/** ${lines[0]} */`];
  return ['/**', ...lines.map((l) => (l ? ` * ${l}` : ' *')), ' */'];
}
