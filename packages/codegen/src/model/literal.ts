/** Objects already printed as constants: printing them again names the constant. */
export class Refs {
  readonly #names = new WeakMap<object, string>();

  /** Records that the constant `name` holds `value`; returns the name. */
  name(value: object, name: string): string {
    this.#names.set(value, name);
    return name;
  }

  of(value: object): string | undefined {
    return this.#names.get(value);
  }
}

/**
 * Prints plain data (numbers, strings, arrays, objects) as a TS expression:
 * codegen prints what the schema computed instead of deriving it again.
 * Objects in `refs` print as the name of the constant that holds them.
 */
export function tsLiteral(value: unknown, refs: Refs = new Refs()): string {
  if (typeof value === 'object' && value !== null) {
    const ref = refs.of(value);
    if (ref !== undefined) return ref;
    if (Array.isArray(value)) return `[${value.map((v) => tsLiteral(v, refs)).join(', ')}]`;
    const entries = Object.entries(value).map(
      ([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${tsLiteral(v, refs)}`,
    );
    return `{ ${entries.join(', ')} }`;
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  throw new TypeError(`cannot print ${typeof value} as a TS literal`);
}
