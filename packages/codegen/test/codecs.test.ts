import { decodeReference, encodeReference, isComposite, type CType } from '@bpfmaps/schema';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraryOf } from '@bpfmaps/schema/arbitrary';
import { fixtures } from './fixtures.js';

interface Codec {
  size: number;
  encode(v: DataView, o: number, x: unknown): void;
  decode(v: DataView, o: number): unknown;
}

// The generated codecs must agree byte for byte with the typed-binary
// reference codec, on random values, at a non-zero offset into a dirty buffer.
describe('generated codecs equal the reference codec', () => {
  for (const { name, schema } of fixtures) {
    it(name, async () => {
      const schemaModule = (await import(schema)) as Record<string, unknown>;
      const generated = (await import(schema.replace('maps.schema.ts', 'maps.gen.ts'))) as Record<
        string,
        unknown
      >;
      const structs = Object.entries(schemaModule).filter((e): e is [string, CType<unknown>] =>
        isComposite(e[1]),
      );
      for (const [exportName, type] of structs) {
        const codec = generated[`${exportName}Codec`] as Codec;
        expect(codec.size).toBe(type.size);
        fc.assert(
          fc.property(arbitraryOf(type), (value) => {
            const bytes = new Uint8Array(type.size + 8).fill(0xaa);
            const view = new DataView(bytes.buffer);
            codec.encode(view, 8, value);
            expect(bytes.subarray(8)).toEqual(encodeReference(type, value));
            expect(codec.decode(view, 8)).toEqual(decodeReference(type, bytes.subarray(8)));
            // A union decodes every member, so the value set is a subset of what comes back.
            expect(codec.decode(view, 8)).toMatchObject(value as object);
          }),
          { numRuns: 300 },
        );
      }
    });
  }

  it('reject bad values with the same message as the reference codec', async () => {
    const schemaModule = (await import(
      fixtures.find((f) => f.name === 'strings')!.schema
    )) as Record<string, CType<unknown>>;
    const generated = (await import(
      fixtures.find((f) => f.name === 'strings')!.schema.replace('maps.schema.ts', 'maps.gen.ts')
    )) as Record<string, Codec>;
    const bad = { pid: 1, comm: 'a name longer than 15 bytes' };
    const view = new DataView(new ArrayBuffer(64));
    const message = 'Task.comm: expected a string of at most 15 UTF-8 bytes';
    expect(() => generated.TaskCodec!.encode(view, 0, bad)).toThrow(message);
    expect(() => encodeReference(schemaModule.Task!, bad)).toThrow(message);
  });
});
