import { SchemaError } from './errors.js';

// C keywords plus the names BPF headers define as macros or types, which would
// break the generated header in confusing ways if used as identifiers.
const RESERVED = new Set(
  (
    'auto break case char const continue default do double else enum extern float for goto if inline int long ' +
    'register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while ' +
    '_Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local ' +
    'bool true false NULL SEC offsetof'
  ).split(' '),
);

/**
 * Plain words C compilers predefine as macros in their default GNU mode
 * (gcc's builtin_define_std on Linux targets; see `cc -dM -E - </dev/null`):
 * a field named `linux` would read `1` in a host build.
 */
export const PREDEFINED_MACROS: ReadonlySet<string> = new Set([
  'linux',
  'unix',
  'i386',
  'mips',
  'sparc',
  'powerpc',
  'PPC',
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws unless `name` can be a C identifier that bpfmaps does not reserve for itself. */
export function checkIdentifier(name: string, path: string, what: string): void {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new SchemaError(
      'INVALID_NAME',
      path,
      `${what} ${JSON.stringify(name)} is not a valid C identifier`,
      'Use letters, digits and underscores, not starting with a digit',
    );
  }
  if (RESERVED.has(name)) {
    throw new SchemaError(
      'RESERVED_NAME',
      path,
      `${what} "${name}" is a reserved word in C`,
      'Choose another name',
    );
  }
  if (PREDEFINED_MACROS.has(name)) {
    throw new SchemaError(
      'RESERVED_NAME',
      path,
      `${what} "${name}" is a macro C compilers predefine in GNU mode (${name} is 1 there)`,
      'Choose another name',
    );
  }
  if (name.startsWith('__')) {
    throw new SchemaError(
      'RESERVED_NAME',
      path,
      `${what} "${name}" starts with "__", which C reserves (and bpfmaps uses for padding members)`,
      'Choose a name without the leading double underscore',
    );
  }
}

/** `FlowKey` -> `flow_key`, `IPv4Addr` -> `ipv4_addr`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}
