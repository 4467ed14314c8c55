/**
 * BTF types as schema types: each one built with the DSL (so its layout is
 * the layout engine's) and spelled as schema source. A struct is declared
 * with the options that reproduce the object's offsets (natural, packed,
 * aligned, or packed with explicit padding), tried in that order and
 * checked against the BTF member by member; one that no option reproduces
 * is refused, naming it.
 */
import {
  anonymousStruct,
  anonymousUnion,
  arrayOf,
  be16,
  be32,
  be64,
  bits,
  bool,
  bytes,
  chars,
  enumType,
  f32,
  f64,
  i16,
  i32,
  i64,
  i8,
  ipv4,
  ipv6,
  pad,
  snakeCase,
  spinLock,
  struct,
  typeDifferences,
  u16,
  u32,
  u64,
  u8,
  union,
  type Btf,
  type BtfType,
  type CompositeOptions,
  type CType,
  type IntType,
  type TypeSpec,
} from '@bpfmaps/schema';
import { CodegenError } from '../errors.js';

/** A schema type and how the schema file spells it. */
export interface Imported {
  type: CType<unknown>;
  expr: string;
}

/** A named declaration of the schema file: `export const FlowKey = struct(...)`. */
export interface Declaration {
  exportName: string;
  code: string;
  type: CType<unknown>;
}

/** Kernel address structs, which a schema holds as its address types (and a CO-RE header cannot redeclare). */
const ADDRESSES: Record<string, { type: CType<unknown>; expr: string }> = {
  in6_addr: { type: ipv6, expr: 'ipv6' },
  in_addr: { type: ipv4, expr: 'ipv4' },
};

const INTS: Record<string, [CType<unknown>, string]> = {
  u8: [u8, 'u8'],
  u16: [u16, 'u16'],
  u32: [u32, 'u32'],
  u64: [u64, 'u64'],
  i8: [i8, 'i8'],
  i16: [i16, 'i16'],
  i32: [i32, 'i32'],
  i64: [i64, 'i64'],
  be16: [be16, 'be16'],
  be32: [be32, 'be32'],
  be64: [be64, 'be64'],
};

/** `conn_key` -> `ConnKey`. */
export function pascalCase(name: string): string {
  const out = name
    .split(/_+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  return /^[A-Za-z]/.test(out) ? out : `T${out}`;
}

/** `conn_table` -> `connTable`. */
export function camelCase(name: string): string {
  const pascal = pascalCase(name);
  return pascal[0]!.toLowerCase() + pascal.slice(1);
}

/** Converts an object's BTF types, declaring each named struct, union and enum once. */
export class TypeImporter {
  /** Declarations in dependency order: each after the ones it uses. */
  readonly declarations: Declaration[] = [];
  /** DSL names the schema file imports. */
  readonly used = new Set<string>();
  readonly #byId = new Map<number, Imported>();
  readonly #names: Set<string>;

  constructor(
    readonly btf: Btf,
    readonly source: string,
    readonly notes: string[],
    taken: Iterable<string>,
  ) {
    this.#names = new Set(taken);
  }

  /** A name no other export of the file has. */
  claim(wanted: string): string {
    let name = wanted;
    for (let i = 2; this.#names.has(name); i++) name = `${wanted}${i}`;
    this.#names.add(name);
    return name;
  }

  /** Type `id` as a schema type; `context` names where it is used, for messages and made-up names. */
  type(id: number, context: string): Imported {
    // Declarations are one per type, however qualified (`const volatile struct x`); integers keep their typedefs.
    const { type } = this.btf.resolve(id);
    const key = ['struct', 'union', 'enum', 'enum64'].includes(type.kind) ? type.id : id;
    const known = this.#byId.get(key);
    if (known) return known;
    const imported = this.#convert(id, context);
    this.#byId.set(key, imported);
    return imported;
  }

  #use(name: string): string {
    this.used.add(name);
    return name;
  }

  #int(size: number, signed: boolean, bigEndian: boolean, context: string): Imported {
    const key = `${bigEndian && !signed ? 'be' : signed ? 'i' : 'u'}${size * 8}`;
    const found = INTS[key];
    if (!found)
      throw new CodegenError(
        `${this.source}: ${context} is a ${size}-byte integer, which a schema has no type for`,
      );
    return { type: found[0], expr: this.#use(found[1]) };
  }

  #convert(id: number, context: string): Imported {
    const { type: t, typedefs } = this.btf.resolve(id);
    const bigEndian = typedefs.some((n) => /^__be(16|32|64)$/.test(n));
    switch (t.kind) {
      case 'int': {
        if (t.int!.encoding & 4) return { type: bool, expr: this.#use('bool') };
        if (t.size === 16) {
          this.notes.push(`${context}: a 128-bit integer, imported as bytes(16)`);
          return { type: bytes(16), expr: `${this.#use('bytes')}(16)` };
        }
        return this.#int(t.size, (t.int!.encoding & 1) !== 0, bigEndian, context);
      }
      case 'ptr':
        this.notes.push(`${context}: a pointer, imported as u64 (its value)`);
        return { type: u64, expr: `${this.#use('u64')} /* a pointer in C */` };
      case 'float':
        if (t.size === 4) return { type: f32, expr: this.#use('f32') };
        if (t.size === 8) return { type: f64, expr: this.#use('f64') };
        this.notes.push(`${context}: a ${t.size}-byte float, imported as bytes(${t.size})`);
        return { type: bytes(t.size), expr: `${this.#use('bytes')}(${t.size})` };
      case 'array':
        return this.#array(t, context);
      case 'struct':
      case 'union': {
        if (t.name === 'bpf_spin_lock') return { type: spinLock, expr: this.#use('spinLock') };
        const address = ADDRESSES[t.name];
        if (address && t.size === address.type.size) {
          this.notes.push(
            `${context}: struct ${t.name}, imported as ${address.expr} (the same bytes, decoded as an address; C code that reads its members reads the bytes instead, and the header needs no kernel type)`,
          );
          return { type: address.type, expr: this.#use(address.expr) };
        }
        return this.#composite(t, context);
      }
      case 'enum':
      case 'enum64':
        return this.#enum(t, context);
      default: {
        const what = t.kind === 'fwd' ? `struct ${t.name}, declared but not defined` : t.kind;
        throw new CodegenError(
          `${this.source}: ${context} is ${what}: a schema cannot lay it out (it has no size or members here)`,
        );
      }
    }
  }

  #array(t: BtfType, context: string): Imported {
    const { count, type: elementId } = t.array!;
    const element = this.btf.resolve(elementId).type;
    if (count === 0)
      throw new CodegenError(
        `${this.source}: ${context} is an array of no elements (a flexible array member): a schema has no type for it`,
      );
    if (element.kind === 'int' && element.size === 1 && !(element.int!.encoding & 4)) {
      if (element.name === 'char' || element.int!.encoding & 2)
        return { type: chars(count), expr: `${this.#use('chars')}(${count})` };
      if (!(element.int!.encoding & 1))
        return { type: bytes(count), expr: `${this.#use('bytes')}(${count})` };
    }
    const inner = this.type(elementId, `${context}[]`);
    return {
      type: arrayOf(inner.type, count),
      expr: `${this.#use('arrayOf')}(${inner.expr}, ${count})`,
    };
  }

  #enum(t: BtfType, context: string): Imported {
    const signed = t.kindFlag || t.values!.some((v) => v.value < 0);
    if (t.size === 8) {
      this.notes.push(
        `${context}: a 64-bit enum, imported as ${signed ? 'i64' : 'u64'} (${t.values!.map((v) => `${v.name} = ${v.value}`).join(', ')})`,
      );
      return this.#int(8, signed, false, context);
    }
    const cName = t.name || snakeCase(pascalCase(context.replace(/\W+/g, '_')));
    const exportName = this.claim(pascalCase(cName));
    const storage = this.#int(t.size, signed, false, context);
    const values: Record<string, number> = {};
    const seen = new Map<number, string>();
    for (const v of t.values!) {
      const alias = seen.get(v.value);
      if (alias !== undefined) {
        this.notes.push(
          `enum ${cName}: ${v.name} = ${v.value} left out: it is another name for ${alias}, and decoding needs one name per value`,
        );
        continue;
      }
      seen.set(v.value, v.name);
      values[v.name] = v.value;
    }
    const options = { cName, storage: storage.type as IntType, prefix: '' };
    const type = this.#declare(`enum ${cName}`, () => enumType(exportName, values, options));
    const members = Object.entries(values).map(([k, v]) => `${k}: ${v}`);
    this.declarations.push({
      exportName,
      type,
      code: `export const ${exportName} = ${this.#use('enumType')}('${exportName}', { ${members.join(', ')} }, { cName: '${cName}', storage: ${storage.expr}, prefix: '' });`,
    });
    return { type, expr: exportName };
  }

  #composite(t: BtfType, context: string): Imported {
    const named = t.name !== '';
    const cName = named ? t.name : snakeCase(pascalCase(context.replace(/\W+/g, '_')));
    if (!named) this.notes.push(`${context}: an anonymous ${t.kind}, declared as ${cName}`);
    const exportName = this.claim(pascalCase(cName));
    const fields = this.#fields(t, `${t.kind} ${cName}`);
    const make = t.kind === 'union' ? union : struct;
    const expected = this.btf.typeSpec(t.id);
    const fitted = this.#fit(
      `${t.kind} ${cName}`,
      expected,
      this.alignOf(t.id),
      fields,
      (f, options) => make(exportName, f, { cName, ...options }),
    );
    const needsCName = snakeCase(exportName) !== cName;
    const options = {
      ...(needsCName && { cName: `'${cName}'` }),
      ...(fitted.options.packed && { packed: 'true' }),
      ...(fitted.options.align && { align: String(fitted.options.align) }),
    };
    const optionText = Object.entries(options).map(([k, v]) => `${k}: ${v}`);
    this.declarations.push({
      exportName,
      type: fitted.type,
      code: `export const ${exportName} = ${this.#use(t.kind)}('${exportName}', ${fieldText(fitted.fields)}${optionText.length ? `, { ${optionText.join(', ')} }` : ''});`,
    });
    return { type: fitted.type, expr: exportName };
  }

  /** The members of a struct or union as schema fields (anonymous members nested). */
  #fields(t: BtfType, owner: string): Field[] {
    let anonymous = 0;
    const members = t.members!.filter((m) => {
      const resolved = this.btf.resolve(m.type).type;
      // A flexible array member has no bytes in the struct: its elements follow it, outside any map value.
      if (resolved.kind !== 'array' || resolved.array!.count !== 0) return true;
      this.notes.push(
        `${owner}.${m.name}: a flexible array member, left out (it has no bytes in the struct; an event's variable tail is a struct option, tail)`,
      );
      return false;
    });
    return members.map((m) => {
      const at = `${owner}.${m.name || '(anonymous)'}`;
      const resolved = this.btf.resolve(m.type).type;
      if (m.name === '' && (resolved.kind === 'struct' || resolved.kind === 'union')) {
        const inner = this.#fields(resolved, at);
        const expected = this.btf.typeSpec(resolved.id);
        const make = resolved.kind === 'union' ? anonymousUnion : anonymousStruct;
        const fitted = this.#fit(at, expected, this.alignOf(resolved.id), inner, (f, options) =>
          make(f, options),
        );
        const dsl = this.#use(resolved.kind === 'union' ? 'anonymousUnion' : 'anonymousStruct');
        const options = [
          ...(fitted.options.packed ? ['packed: true'] : []),
          ...(fitted.options.align ? [`align: ${fitted.options.align}`] : []),
        ];
        return {
          name: `_anon${anonymous++}`,
          type: fitted.type,
          expr: `${dsl}(${fieldText(fitted.fields)}${options.length ? `, { ${options.join(', ')} }` : ''})`,
          bitOffset: m.bitOffset,
        };
      }
      if (m.name.startsWith('__')) {
        // C names reserved padding so; a schema's padding is pad(N), named without the underscores.
        if (m.bits)
          throw new CodegenError(
            `${this.source}: ${at} is a bitfield named with a leading "__", which a schema cannot name; rename it in C`,
          );
        const size = this.btf.sizeOf(m.type);
        this.notes.push(
          `${at}: a name C reserves, imported as padding (pad(${size}), named ${this.#padName(m.name)}): TS does not see it, and C code that names it must use the new name`,
        );
        return {
          name: this.#padName(m.name),
          type: pad(size),
          expr: `${this.#use('pad')}(${size})`,
          bitOffset: m.bitOffset,
        };
      }
      if (m.bits) {
        const base = this.#bitfieldBase(m.type, at);
        return {
          name: m.name,
          type: bits(base.type as IntType, m.bits),
          expr: `${this.#use('bits')}(${base.expr}, ${m.bits})`,
          bitOffset: m.bitOffset,
        };
      }
      return { name: m.name, ...this.type(m.type, at), bitOffset: m.bitOffset };
    });
  }

  #padName(cName: string): string {
    const bare = cName.replace(/^_+/, '');
    return `_${bare || 'pad'}`;
  }

  /** The integer a bitfield is declared with (an enum's storage, for an enum bitfield). */
  #bitfieldBase(id: number, at: string): Imported {
    const t = this.btf.resolve(id).type;
    if (t.kind === 'int') return this.#int(t.size, (t.int!.encoding & 1) !== 0, false, at);
    if (t.kind === 'enum') return this.#int(t.size, t.kindFlag, false, at);
    throw new CodegenError(`${this.source}: ${at} is a bitfield of a ${t.kind}`);
  }

  /**
   * The declaration that lays out as `expected` with C's alignment `align`
   * (which BTF does not state: alignOf infers it): natural, aligned, with
   * explicit padding, then packed; among those that match the offsets, the
   * first with that alignment. Throws CodegenError when none matches.
   */
  #fit(
    what: string,
    expected: TypeSpec,
    align: number,
    fields: Field[],
    make: (fields: Record<string, CType<any>>, options: CompositeOptions) => CType<unknown>,
  ): { type: CType<unknown>; fields: Field[]; options: CompositeOptions } {
    const size = expected.kind === 'struct' || expected.kind === 'union' ? expected.size : 0;
    // Holes between members; a packed struct also needs the one at the end (nothing rounds its size up).
    const padded = this.#withPadding(fields);
    const packed = this.#withPadding(fields, size);
    const aligned: CompositeOptions = align > 1 ? { align } : {};
    const tries: { fields: Field[]; options: CompositeOptions }[] = [
      { fields, options: {} },
      { fields, options: aligned },
      { fields: padded, options: aligned },
      { fields: padded, options: {} },
      { fields, options: { packed: true } },
      { fields: packed, options: { packed: true, ...aligned } },
      { fields: packed, options: { packed: true } },
    ];
    let last: string[] = [];
    let matched: { type: CType<unknown>; fields: Field[]; options: CompositeOptions } | undefined;
    for (const attempt of tries) {
      let type: CType<unknown>;
      try {
        type = make(
          Object.fromEntries(attempt.fields.map((f) => [f.name, f.type])),
          attempt.options,
        );
      } catch (error) {
        last = [(error as Error).message];
        continue;
      }
      last = typeDifferences(what, type.typeSpec(), expected);
      if (last.length > 0) continue;
      if (type.align === align) return { type, ...attempt };
      matched ??= { type, ...attempt };
    }
    if (matched) {
      this.notes.push(
        `${what}: its offsets are C's, but its alignment is ${matched.type.align} where C's looks like ${align} (BTF does not say): check it where it is embedded`,
      );
      return matched;
    }
    throw new CodegenError(
      `${this.source}: cannot reproduce the layout of ${what} with a schema (${last.join('; ')})`,
    );
  }

  /**
   * C's alignment of type `id`, as far as its BTF tells: a member's largest,
   * raised where a member sits past its natural place (`aligned(N)`), and 1
   * for a packed struct (a member off its alignment, or a size that is no
   * multiple of it).
   */
  alignOf(id: number): number {
    const { type: t } = this.btf.resolve(id);
    switch (t.kind) {
      case 'int':
      case 'enum':
      case 'enum64':
      case 'float':
        return Math.max(1, Math.min(t.size, 16));
      case 'ptr':
        return 8;
      case 'array':
        return this.alignOf(t.array!.type);
      case 'struct':
      case 'union': {
        let natural = 1;
        let raised = 1;
        let end = 0;
        for (const m of t.members!) {
          const a = this.alignOf(m.type);
          natural = Math.max(natural, a);
          if (m.bits) {
            end = Math.max(end, Math.ceil((m.bitOffset + m.bits) / 8));
            continue;
          }
          const at = m.bitOffset / 8;
          if (at % a !== 0) return 1;
          if (t.kind === 'struct' && at > Math.ceil(end / a) * a)
            raised = Math.max(raised, at & -at);
          end = Math.max(end, at + this.btf.sizeOf(m.type));
        }
        if (t.size % natural !== 0) return 1;
        let align = Math.max(natural, Math.min(raised, 64));
        while (align > natural && t.size % align !== 0) align /= 2;
        return align;
      }
      default:
        return 1;
    }
  }

  /** The fields with pad(N) in every hole between them and, given the struct's `size`, at its end. */
  #withPadding(fields: Field[], size?: number): Field[] {
    const out: Field[] = [];
    let at = 0;
    let n = 0;
    const hole = (to: number) => {
      if (to > at) {
        const name = this.#padName(`hole${n++}`);
        out.push({
          name,
          type: pad(to - at),
          expr: `${this.#use('pad')}(${to - at})`,
          bitOffset: at * 8,
        });
      }
    };
    for (const f of fields) {
      // Bitfields and unions share bytes: padding only goes between whole, byte-aligned members.
      if (f.bitOffset % 8 !== 0 || f.type.size === 0) return fields;
      hole(f.bitOffset / 8);
      out.push(f);
      at = Math.max(at, f.bitOffset / 8 + f.type.size);
    }
    if (size !== undefined) hole(size);
    return out;
  }

  /** Builds a declaration with the DSL, naming it when the DSL refuses it. */
  #declare<T>(what: string, build: () => T): T {
    try {
      return build();
    } catch (error) {
      throw new CodegenError(
        `${this.source}: ${what} cannot be a schema type: ${(error as Error).message}`,
      );
    }
  }
}

interface Field extends Imported {
  name: string;
  bitOffset: number;
}

function fieldText(fields: readonly Field[]): string {
  return `{ ${fields.map((f) => `${f.name}: ${f.expr}`).join(', ')} }`;
}
