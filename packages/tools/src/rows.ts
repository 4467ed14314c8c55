/**
 * Entries as rows: decoded keys and values flattened to named columns for
 * tables and filters, and as JSON in which 64-bit integers keep every digit.
 */

import { referenceCodec } from '@bpfmaps/runtime';
import { isComposite, type CType } from '@bpfmaps/schema';

export type Row = [key: unknown, value: unknown];

/** `{ a: { b: 1 } }` -> [['a.b', 1]]: nested structs flattened; arrays and bytes stay cells. */
export function columns(value: unknown, prefix = ''): [string, unknown][] {
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    value instanceof Uint8Array
  )
    return [[prefix || 'value', value]];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    columns(v, prefix ? `${prefix}.${k}` : k),
  );
}

/**
 * Control characters as escapes (`\n`, `\x1b`): a key is whatever a traced
 * process made it (its comm), and raw, it could move the cursor, clear the
 * screen or split a row of the operator's terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/**
 * A per-CPU value (a copy per CPU) as one: numbers summed field by field
 * over the CPUs, as the exporter does; what is no number read from the
 * first copy.
 */
export function sumCpus(copies: unknown): unknown {
  if (!Array.isArray(copies) || copies.length === 0) return copies;
  const add = (a: unknown, b: unknown): unknown => {
    if (typeof a === 'bigint' && typeof b === 'bigint') return a + b;
    if (typeof a === 'number' && typeof b === 'number') return a + b;
    if (
      a &&
      b &&
      typeof a === 'object' &&
      typeof b === 'object' &&
      !Array.isArray(a) &&
      !(a instanceof Uint8Array)
    )
      return Object.fromEntries(
        Object.entries(a as Record<string, unknown>).map(([k, v]) => [
          k,
          add(v, (b as Record<string, unknown>)[k]),
        ]),
      );
    return a;
  };
  return copies.reduce((sum: unknown, copy: unknown) => add(sum, copy));
}

/** A cell as text: addresses, enum names and strings as they decode (control characters escaped), bytes in hex, arrays in brackets. */
export function cellText(value: unknown): string {
  if (typeof value === 'string') return printable(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return `[${value.map(cellText).join(' ')}]`;
  if (value === undefined) return '';
  if (typeof value === 'object' && value !== null) return json(value);
  return String(value);
}

/** JSON in which a bigint is a number with all its digits (JSON allows it; jq reads it). */
export function json(value: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(value, (_, v: unknown) => {
    if (typeof v === 'bigint') {
      marks.push(String(v));
      return `\u0000${marks.length - 1}\u0000`;
    }
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    return v;
  });
  return text.replace(/"\\u0000(\d+)\\u0000"/g, (_, i: string) => marks[Number(i)]!);
}

/** Key columns: `key` for a scalar key. */
export function keyColumns(key: unknown): [string, unknown][] {
  return columns(key, '').map(([name, v]) => [name === 'value' ? 'key' : name, v]);
}

/**
 * Parses `--where field=value` filters; a row passes when each named key
 * column reads as the given value. With the key's type, each value is read
 * as its field's type and written back as a table prints it, so `proto=6`
 * finds TCP and `2001:0db8::0:1` finds 2001:db8::1, and a value the field
 * cannot hold (`proto=BOGUS`, `port=abc`) is refused instead of matching
 * nothing. Throws (through `fail`) for a malformed one.
 */
export function whereFilter(
  wheres: readonly string[],
  fail: (message: string) => never,
  keyType?: CType<unknown>,
): (key: unknown) => boolean {
  const fields = keyType ? keyFields(keyType) : undefined;
  const tests = wheres.map((w) => {
    const at = w.indexOf('=');
    if (at <= 0)
      fail(`--where takes field=value, e.g. --where saddr=10.0.0.1; received ${JSON.stringify(w)}`);
    const field = w.slice(0, at);
    const text = w.slice(at + 1);
    if (!fields) return [field, text] as const;
    const type = fields.get(field);
    if (!type)
      fail(
        `--where ${field}: the key has no field ${field}; it has: ${[...fields.keys()].join(', ')}`,
      );
    return [field, canonical(type, field, text, fail)] as const;
  });
  if (tests.length === 0) return () => true;
  return (key) => {
    const cols = new Map(keyColumns(key));
    return tests.every(([field, want]) => {
      if (!cols.has(field))
        fail(
          `--where ${field}: the key has no field ${field}; it has: ${[...cols.keys()].join(', ')}`,
        );
      return cellText(cols.get(field)) === want;
    });
  };
}

/** The key's fields by column name (`a.b` for nested ones, `key` for a scalar key), as the table names them. */
function keyFields(type: CType<unknown>): Map<string, CType<unknown>> {
  const out = new Map<string, CType<unknown>>();
  const walk = (t: CType<unknown>, prefix: string) => {
    if (!isComposite(t)) {
      out.set(prefix || 'key', t);
      return;
    }
    for (const m of t.members) {
      if (m.type.memberNames(m.name).length === 0) continue; // padding
      const inner = (m.type as Partial<{ inner: CType<unknown> }>).inner;
      if (inner && isComposite(inner))
        walk(inner, prefix); // an anonymous member's fields are the parent's
      else walk(m.type, prefix ? `${prefix}.${m.name}` : m.name);
    }
  };
  walk(type, '');
  return out;
}

/** `text` read as `type` and written back as a cell reads, or `fail` naming why the field cannot hold it. */
function canonical(
  type: CType<unknown>,
  field: string,
  text: string,
  fail: (message: string) => never,
): string {
  const refuse = (why: string) => fail(`--where ${field}=${text}: ${why}`);
  let value: unknown = text;
  if (type.tsType === 'bigint') {
    if (!/^-?\d+$/.test(text)) refuse(`${field} is a ${type.label}: give an integer`);
    value = BigInt(text);
  } else if (type.tsType === 'boolean') {
    if (text !== 'true' && text !== 'false') refuse(`${field} is a bool: give true or false`);
    value = text === 'true';
  } else if (type.tsType !== 'string' && /^-?\d+(\.\d+)?$/.test(text)) value = Number(text);
  else if (type.tsType === 'number') refuse(`${field} is a ${type.label}: give a number`);
  const codec = referenceCodec(type);
  const view = new DataView(new ArrayBuffer(codec.size));
  try {
    codec.encode(view, 0, value);
  } catch (error) {
    if ((error as Error).name !== 'EncodeError') return text; // a type the reference codec cannot write alone
    refuse((error as Error).message.replace(/^[^:]*: /, ''));
  }
  return cellText(codec.decode(view, 0));
}

/** Rows as an aligned text table: the key's columns, then the value's. */
export function table(rows: readonly Row[]): string {
  if (rows.length === 0) return '(no entries)\n';
  const header = [
    ...keyColumns(rows[0]![0]).map(([n]) => n),
    ...columns(rows[0]![1]).map(([n]) => n),
  ];
  const cells = rows.map(([k, v]) => [...keyColumns(k), ...columns(v)].map(([, x]) => cellText(x)));
  // A loop, not Math.max(...cells): a spread of one argument per row overflows the stack on large maps.
  const widths = header.map((h) => h.length);
  for (const c of cells) c.forEach((x, i) => (widths[i] = Math.max(widths[i] ?? 0, x.length)));
  const numeric = header.map((_, i) => cells.every((c) => /^-?\d+(\.\d+)?$/.test(c[i] ?? '')));
  const line = (c: readonly string[]) =>
    c
      .map((x, i) => (numeric[i] ? x.padStart(widths[i]!) : x.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header.map((h) => h.toUpperCase())), ...cells.map(line)].join('\n')}\n`;
}
