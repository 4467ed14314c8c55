import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  arrayOf,
  bits,
  bool,
  catalog,
  chars,
  enumType,
  globals,
  hash,
  ipv4,
  isGlobalsDecl,
  pad,
  SchemaError,
  spinLock,
  struct,
  u32,
  u64,
  u8,
  type InferGlobals,
} from '../src/index.js';
import { error } from './errors.js';

const Filter = struct('Filter', { port: u32, proto: u8 });
const Proto = enumType('Proto', { TCP: 6, UDP: 17 }, { storage: u8 });

describe('globals declarations', () => {
  it('take every type a map value takes and compute the spec', () => {
    const config = globals('.rodata', {
      targ_pid: u32,
      min_ns: u64.asNumber(),
      verbose: bool,
      proto: Proto,
      comm: chars(16),
      addr: ipv4,
      filter: Filter,
      ports: arrayOf(u32, 4),
    });
    expect(isGlobalsDecl(config)).toBe(true);
    expect(config.section).toBe('.rodata');
    const u = (size: number) => ({ kind: 'int', size, signed: false });
    expect(config.spec).toEqual({
      section: '.rodata',
      variables: [
        { name: 'targ_pid', size: 4, type: u(4) },
        { name: 'min_ns', size: 8, type: u(8) },
        { name: 'verbose', size: 1, type: { ...u(1), bool: true } },
        {
          name: 'proto',
          size: 1,
          type: {
            kind: 'enum',
            name: 'proto',
            size: 1,
            signed: false,
            values: [
              { name: 'PROTO_TCP', value: 6 },
              { name: 'PROTO_UDP', value: 17 },
            ],
          },
        },
        {
          name: 'comm',
          size: 16,
          type: {
            kind: 'array',
            element: { kind: 'int', size: 1, signed: true, char: true },
            count: 16,
          },
        },
        { name: 'addr', size: 4, type: { ...u(4), bigEndian: true } },
        {
          name: 'filter',
          size: 8,
          type: {
            kind: 'struct',
            name: 'filter',
            size: 8,
            members: [
              { name: 'port', bitOffset: 0, bits: 0, type: u(4) },
              { name: 'proto', bitOffset: 32, bits: 0, type: u(1) },
            ],
          },
        },
        { name: 'ports', size: 16, type: { kind: 'array', element: u(4), count: 4 } },
      ],
    });
    expectTypeOf<InferGlobals<typeof config>>().toEqualTypeOf<{
      targ_pid: number;
      min_ns: number;
      verbose: boolean;
      proto: 'TCP' | 'UDP' | number;
      comm: string;
      addr: string;
      filter: { port: number; proto: number };
      ports: number[];
    }>();
  });

  it('refuse a section that is not .rodata, .data or .bss', () => {
    const e = error(() => globals('.text' as '.data', { x: u32 }));
    expect(e.code).toBe('INVALID_GLOBALS');
    expect(e.message).toBe(
      "globals .text: the section must be one of .rodata, .data, .bss. Use '.rodata' for load-time configuration, '.data' or '.bss' for variables",
    );
  });

  it('refuse an empty group', () => {
    expect(error(() => globals('.bss', {})).message).toBe(
      "globals .bss: no variables are declared. Declare at least one: globals('.bss', { targ_pid: u32 })",
    );
  });

  it('refuse names C or bpfmaps reserve, naming the global', () => {
    expect(error(() => globals('.data', { 'targ-pid': u32 })).message).toBe(
      'global targ-pid: global name "targ-pid" is not a valid C identifier. Use letters, digits and underscores, not starting with a digit',
    );
    expect(error(() => globals('.data', { int: u32 })).message).toBe(
      'global int: global name "int" is a reserved word in C. Choose another name',
    );
    expect(error(() => globals('.data', { linux: u32 })).code).toBe('RESERVED_NAME');
    expect(error(() => globals('.data', { __x: u32 })).code).toBe('RESERVED_NAME');
    for (const name of ['toString', 'constructor', 'valueOf', 'toJSON'])
      expect(error(() => globals('.data', { [name]: u32 })).message).toBe(
        `global ${name}: ${name} is a property every JS object has, and the variable would hide it in TS. Rename the global`,
      );
  });

  it('refuse what is not a type, or cannot stand alone', () => {
    const e = error(() => globals('.data', { x: 4 as never }));
    expect(e.code).toBe('UNKNOWN_TYPE');
    expect(e.message).toBe(
      'global x: the type is not a bpfmaps type (received number). Use a scalar such as u32, or a struct(...)',
    );
    expect(error(() => globals('.data', { x: pad(4) })).path).toBe('global x');
    expect(error(() => globals('.data', { x: bits(u32, 3) as never })).path).toBe('global x');
  });

  it('refuse spin locks, alone or inside a struct', () => {
    expect(error(() => globals('.bss', { lock: spinLock })).message).toBe(
      'global lock: a spinLock only works inside a map value. Put the lock and the data it guards in an array map of one element',
    );
    const Locked = struct('Locked', { lock: spinLock, n: u64 });
    expect(error(() => globals('.bss', { state: Locked })).message).toContain(
      'global state: a spinLock only works inside a map value (Locked holds one)',
    );
  });

  it('refuse a doc that is not a string', () => {
    expect(error(() => globals('.data', { x: u32 }, { doc: 3 as never })).path).toBe(
      'globals .data.doc',
    );
  });
});

describe('globals in a schema module', () => {
  const flows = hash('flows', { key: u32, value: u64, maxEntries: 4 });

  it('a schema of globals alone is a schema', () => {
    const config = globals('.rodata', { filter: Filter });
    const cat = catalog({ config }, 'maps.schema.ts');
    expect(cat.maps).toEqual([]);
    expect(cat.globals).toEqual([{ exportName: 'config', decl: config }]);
    expect(cat.composites.map((c) => c.name)).toEqual(['Filter']);
  });

  it('refuse a global named like another global, a map or an enum constant', () => {
    const a = globals('.rodata', { targ_pid: u32 });
    const b = globals('.bss', { targ_pid: u64 });
    expect(error(() => catalog({ a, b }, 'maps.schema.ts')).message).toBe(
      'global targ_pid: export b declares it, but in C it is also a global of export a. Rename the global or the other declaration',
    );
    const c = globals('.data', { flows: u32 });
    expect(error(() => catalog({ flows, c }, 'maps.schema.ts')).message).toBe(
      'global flows: export c declares it, but in C it is also map flows (export flows). Rename the global or the other declaration',
    );
    const d = globals('.data', { PROTO_TCP: u32, proto: Proto });
    expect(error(() => catalog({ d }, 'maps.schema.ts')).message).toBe(
      'global PROTO_TCP: export d declares it, but in C it is also the constant of Proto.TCP. Rename the global or the other declaration',
    );
  });

  it('refuse an enum constant named like a map', () => {
    const Kind = enumType('Kind', { S: 1 }, { cName: 'flow' });
    const FLOW_S = hash('FLOW_S', { key: u32, value: Kind, maxEntries: 4 });
    expect(error(() => catalog({ FLOW_S }, 'maps.schema.ts')).message).toBe(
      'Kind.S: its C constant FLOW_S is also map FLOW_S (export FLOW_S). Rename the member or give one enum another cName',
    );
  });
});
