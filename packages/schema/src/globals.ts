/**
 * Global variables of BPF programs. `.rodata` holds load-time configuration
 * (`const volatile` in C): user space sets it between opening and loading the
 * object, and the verifier then knows its values and prunes the branches they
 * rule out. `.data` and `.bss` hold variables programs and user space both
 * read and write while the object is loaded. A declaration is one group of
 * variables of one section; every global shares C's one namespace.
 */
import { SchemaError } from './errors.js';
import { checkIdentifier } from './names.js';
import { isCType, type CType } from './types/base.js';
import type { TypeSpec } from './btf/type-spec.js';
import { countSpinLocks, SpinLockType } from './types/pad.js';

/** Brand that tells a globals declaration from anything else a schema file exports. */
export const GLOBALS_BRAND: unique symbol = Symbol.for('bpfmaps.globals') as never;

/** The sections a schema declares globals in. */
export type GlobalSection = '.rodata' | '.data' | '.bss';

/** What each section is: how the header qualifies its variables, and what it is for. */
export interface GlobalSectionFacts {
  /** Qualifiers before the C type: `const volatile ` for configuration, so clang keeps the loads. */
  readonly cQualifiers: string;
  /** One line for the header and the generated module. */
  readonly purpose: string;
}

export const GLOBAL_SECTIONS: Readonly<Record<GlobalSection, GlobalSectionFacts>> = {
  '.rodata': {
    cQualifiers: 'const volatile ',
    purpose: 'load-time configuration: set from user space before load, then read-only',
  },
  '.data': { cQualifiers: '', purpose: 'variables programs and user space read and write' },
  '.bss': {
    cQualifiers: '',
    purpose: 'zero-initialised variables programs and user space read and write',
  },
};

/** What one variable must be in an object's BTF: its name, size and type. */
export interface GlobalVariableSpec {
  name: string;
  size: number;
  type: TypeSpec;
}

/** What a group of globals must be: the section, then each variable. Offsets are the linker's. */
export interface GlobalsSpec {
  section: GlobalSection;
  variables: readonly GlobalVariableSpec[];
}

export type GlobalFields = Record<string, CType<any>>;

/** A group of global variables of one section, declared in a schema. */
export interface GlobalsDecl<F extends GlobalFields = GlobalFields> {
  readonly [GLOBALS_BRAND]: true;
  readonly section: GlobalSection;
  /** Each variable's C name and type, in declaration order. */
  readonly variables: Readonly<F>;
  readonly doc: string | undefined;
  /** What the object's BTF must say: printed by codegen, checked by the runtime. */
  readonly spec: GlobalsSpec;
}

type Infer<S> = S extends CType<infer T> ? T : never;

/** The decoded TS values of a globals declaration: `InferGlobals<typeof config>`. */
export type InferGlobals<G> =
  G extends GlobalsDecl<infer F> ? { -readonly [K in keyof F]: Infer<F[K]> } : never;

export interface GlobalsOptions {
  /** Documentation: a C comment in the header and JSDoc in the TS module. */
  doc?: string;
}

/**
 * globals(section, { name: type, ... }) declares global variables in
 * `.rodata` (load-time configuration), `.data` or `.bss`, of any type a map
 * value may have. Throws SchemaError naming the variable (`global targ_pid`)
 * and the fix: an invalid or reserved C name, a type that is not a bpfmaps
 * type or cannot stand alone, a spinLock.
 */
export function globals<F extends GlobalFields>(
  section: GlobalSection,
  variables: F,
  options: GlobalsOptions = {},
): GlobalsDecl<F> {
  const sections = Object.keys(GLOBAL_SECTIONS);
  if (!sections.includes(section as string)) {
    throw new SchemaError(
      'INVALID_GLOBALS',
      `globals ${String(section)}`,
      `the section must be one of ${sections.join(', ')}`,
      "Use '.rodata' for load-time configuration, '.data' or '.bss' for variables",
    );
  }
  const path = `globals ${section}`;
  if (typeof variables !== 'object' || variables === null || Object.keys(variables).length === 0) {
    throw new SchemaError(
      'INVALID_GLOBALS',
      path,
      'no variables are declared',
      `Declare at least one: globals('${section}', { targ_pid: u32 })`,
    );
  }
  for (const [name, type] of Object.entries(variables)) checkVariable(name, type);
  if (options.doc !== undefined && typeof options.doc !== 'string') {
    throw new SchemaError(
      'INVALID_GLOBALS',
      `${path}.doc`,
      `doc must be a string, received ${typeof options.doc}`,
    );
  }
  const spec: GlobalsSpec = Object.freeze({
    section,
    variables: Object.entries(variables).map(([name, type]) =>
      Object.freeze({ name, size: type.size, type: type.typeSpec() }),
    ),
  });
  return Object.freeze({
    [GLOBALS_BRAND]: true as const,
    section,
    variables: Object.freeze({ ...variables }),
    doc: options.doc,
    spec,
  });
}

function checkVariable(name: string, type: unknown): asserts type is CType<unknown> {
  const path = `global ${name}`;
  checkIdentifier(name, path, 'global name');
  // The group's TS object has these already: a variable would hide them.
  if (name in Object.prototype || name === 'toJSON') {
    throw new SchemaError(
      'RESERVED_NAME',
      path,
      `${name} is a property every JS object has, and the variable would hide it in TS`,
      'Rename the global',
    );
  }
  if (!isCType(type)) {
    throw new SchemaError(
      'UNKNOWN_TYPE',
      path,
      `the type is not a bpfmaps type (received ${typeof type})`,
      'Use a scalar such as u32, or a struct(...)',
    );
  }
  if (countSpinLocks(type) > 0) {
    throw new SchemaError(
      'INVALID_TYPE',
      path,
      `a spinLock only works inside a map value${type instanceof SpinLockType ? '' : ` (${type.label} holds one)`}`,
      'Put the lock and the data it guards in an array map of one element',
    );
  }
  type.checkStandalone(path);
}

/** True for any globals declaration (brand check: works across copies of this package). */
export function isGlobalsDecl(value: unknown): value is GlobalsDecl {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[GLOBALS_BRAND] === true
  );
}
