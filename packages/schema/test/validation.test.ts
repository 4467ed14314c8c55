import { describe, expect, it } from 'vitest';
import { array, arrayOf, chars, hash, SchemaError, struct, u32, u8 } from '../src/index.js';

function error(fn: () => unknown): SchemaError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SchemaError) return e;
    throw e;
  }
  throw new Error('expected a SchemaError');
}

const Key = struct('Key', { id: u32 });

describe('schema validation', () => {
  it.each([
    { name: 'unknown type (undefined import)', fn: () => struct('FlowKey', { sport: undefined as never }), code: 'UNKNOWN_TYPE', message: 'FlowKey.sport: unknown type: undefined (is the type imported from @bpfmaps/schema?)' },
    { name: 'unknown type (a string)', fn: () => struct('FlowKey', { sport: 'u16' as never }), code: 'UNKNOWN_TYPE', message: 'FlowKey.sport: unknown type: the string "u16"' },
    { name: 'invalid field name', fn: () => struct('FlowKey', { 'src-port': u8 }), code: 'INVALID_NAME', message: 'FlowKey.src-port: field name "src-port" is not a valid C identifier' },
    { name: 'reserved field name', fn: () => struct('FlowKey', { int: u8 }), code: 'RESERVED_NAME', message: 'FlowKey.int: field name "int" is a reserved word in C' },
    { name: 'field name like padding', fn: () => struct('FlowKey', { __pad0: u8 }), code: 'RESERVED_NAME', message: 'starts with "__"' },
    { name: 'invalid struct name', fn: () => struct('2Key', { a: u8 }), code: 'INVALID_NAME', message: '2Key: struct name "2Key" is not a valid C identifier' },
    { name: 'empty struct', fn: () => struct('Empty', {}), code: 'EMPTY_STRUCT', message: 'Empty: a struct needs at least one field' },
    { name: 'chars too small', fn: () => chars(1), code: 'INVALID_SIZE', message: 'chars(1): a char array needs a whole size of at least 2' },
    { name: 'array of zero', fn: () => arrayOf(u8, 0), code: 'INVALID_SIZE', message: 'arrayOf(u8, 0): an array needs a whole length of at least 1' },
    { name: 'map name too long', fn: () => hash('a_very_long_map_name', { key: Key, value: Key, maxEntries: 1 }), code: 'INVALID_MAP', message: 'map a_very_long_map_name: the name is 20 characters; the kernel keeps at most 15' },
    { name: 'map name invalid', fn: () => hash('my-map', { key: Key, value: Key, maxEntries: 1 }), code: 'INVALID_NAME', message: 'map my-map: map name "my-map" is not a valid C identifier' },
    { name: 'map value not a type', fn: () => hash('m', { key: Key, value: {} as never, maxEntries: 1 }), code: 'UNKNOWN_TYPE', message: 'map m.value: value is not a bpfmaps type' },
    { name: 'zero max entries', fn: () => hash('m', { key: Key, value: Key, maxEntries: 0 }), code: 'INVALID_MAP', message: 'map m.maxEntries: maxEntries must be a whole number in 1..4294967295, received 0' },
    { name: 'key too large', fn: () => hash('m', { key: struct('Big', { b: arrayOf(u8, 600) }), value: Key, maxEntries: 1 }), code: 'INVALID_SIZE', message: 'map m.key: key Big is 600 bytes; the kernel accepts at most 512' },
  ])('$name', ({ fn, code, message }) => {
    const e = error(fn);
    expect(e.code).toBe(code);
    expect(e.message).toContain(message);
  });

  it('array maps have u32 keys', () => {
    const m = array('counts', { value: Key, maxEntries: 4 });
    expect(m.key.size).toBe(4);
    expect(m.kind.cType).toBe('BPF_MAP_TYPE_ARRAY');
  });
});
