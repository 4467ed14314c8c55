/**
 * The layout engine against the compiler: random schemas (every construct,
 * nested), rendered as plain C with no explicit padding, compiled by clang
 * for -target bpf (layout read back from BTF) and for the host (layout
 * printed by the compiled program). Every size, alignment, member offset and
 * bitfield position must match. bpfmaps' own C (explicit padding, named per
 * scope) must compile with its asserts, and random values must round-trip
 * through the reference codec and the generated codec, byte for byte.
 */
import { btfOf, compileBpf, describeWith, runHost, type BtfType } from '@bpfmaps/testing';
import fc from 'fast-check';
import ts from 'typescript';
import { expect, it } from 'vitest';
import * as primitives from '../src/codec/primitives.js';
import {
  AnonymousType,
  ArrayType,
  decodeReference,
  encodeReference,
  SchemaError,
  StructType,
  UnionType,
  type CompositeType,
} from '../src/index.js';
import {
  arbitraryOf,
  buildSchema,
  enumsIn,
  namedIn,
  plainC,
  schemaSpec,
} from '../src/testing/arbitrary.js';

type Composite = CompositeType<any, unknown>;

const RUNS = Number(process.env.LAYOUT_RUNS ?? 1000);
const SEED = Number(process.env.LAYOUT_SEED ?? Date.now() % 2 ** 31);

interface Expected {
  size: number;
  align: number;
  /** Flat member name -> [bit offset, bit width or 0 for a whole member]. */
  members: Record<string, [number, number]>;
}

function expected(c: Composite): Expected {
  const members: Expected['members'] = {};
  for (const m of c.flatMembers())
    members[m.name] = m.bits === undefined ? [m.offset * 8, 0] : [m.bitOffset as number, m.bits];
  return { size: c.size, align: c.align, members };
}

/** Generates the random schemas once, shared by the checks below. */
function schemas(): Composite[] {
  const roots: Composite[] = [];
  let run = 0;
  for (const spec of fc.sample(schemaSpec(), { numRuns: RUNS * 2, seed: SEED })) {
    if (roots.length === RUNS) break;
    try {
      roots.push(buildSchema(spec, run++));
    } catch (e) {
      // Only zero-width bitfields, or a number-mode u64 below a union: rejected by design.
      if (e instanceof SchemaError && (e.code === 'EMPTY_STRUCT' || e.code === 'INVALID_TYPE'))
        continue;
      throw e;
    }
  }
  return roots;
}

/** An anonymous union holding two or more anonymous structs that end in padding. */
function hasPaddedAnonymousStructs(c: Composite): boolean {
  return c.members.some((m) => {
    if (!(m.type instanceof AnonymousType) || !(m.type.inner instanceof UnionType)) return false;
    const padded = m.type.inner.members.filter(
      (u) =>
        u.type instanceof AnonymousType && u.type.inner.layout.slots.at(-1)?.kind === 'padding',
    );
    return padded.length >= 2;
  });
}

describeWith(
  ['clang', 'bpftool'],
  `layout engine vs clang on ${RUNS} random schemas (seed ${SEED})`,
  () => {
    const roots = schemas();
    const named = [...new Set(roots.flatMap(namedIn))];
    const enums = [...new Set(roots.flatMap(enumsIn))];

    it(`generates ${RUNS} schemas covering every construct`, () => {
      expect(roots.length).toBe(RUNS);
      const labels = new Set(
        named.flatMap((c) => c.flatMembers().map((m) => m.type.constructor.name)),
      );
      for (const kind of [
        'IntType',
        'BigIntType',
        'BitfieldType',
        'ArrayType',
        'StructType',
        'UnionType',
        'EnumType',
        'CharsType',
        'PadType',
      ])
        expect(labels).toContain(kind);
      expect(named.some((c) => c.options.packed)).toBe(true);
      expect(named.some((c) => c.members.some((m) => m.type instanceof AnonymousType))).toBe(true);
      expect(named.some(hasPaddedAnonymousStructs)).toBe(true);
      const unionMembers = named
        .filter((c) => c instanceof UnionType)
        .flatMap((c) => c.members.map((m) => m.type));
      expect(unionMembers.some((t) => t instanceof StructType)).toBe(true);
      expect(unionMembers.some((t) => t instanceof ArrayType)).toBe(true);
    });

    const source = [
      '#include <linux/types.h>',
      ...enums.map(
        (e) =>
          `enum ${e.cName} { ${e
            .constants()
            .map((k) => `${k.name} = ${k.value}`)
            .join(', ')} };`,
      ),
      ...named.map(plainC),
    ].join('\n');

    it('-target bpf: BTF agrees on every size, offset and bitfield', () => {
      const asserts = named.map(
        (c) =>
          `_Static_assert(_Alignof(${c.keyword} ${c.cName}) == ${c.align}, "align ${c.cName}");`,
      );
      const vars = named.map((c) => `${c.keyword} ${c.cName} v_${c.cName};`);
      const object = compileBpf([source, ...asserts, ...vars].join('\n'), {
        args: ['-Wno-error', '-w'],
      });
      const types = new Map(btfOf(object).types.map((t) => [t.id, t]));
      const byName = new Map(
        [...types.values()]
          .filter((t) => t.kind === 'STRUCT' || t.kind === 'UNION')
          .map((t) => [t.name, t]),
      );
      const flatten = (t: BtfType, base: number, out: Expected['members']) => {
        for (const m of t.members ?? []) {
          const at = base + m.bits_offset;
          if (m.name === '(anon)' || m.name === '')
            flatten(types.get(m.type_id) as BtfType, at, out);
          else out[m.name] = [at, m.bitfield_size ?? 0];
        }
      };
      const mismatches: string[] = [];
      for (const c of named) {
        const btf = byName.get(c.cName);
        const ours = expected(c);
        const theirs: Expected['members'] = {};
        if (btf) flatten(btf, 0, theirs);
        const got = { size: btf?.size, members: theirs };
        if (JSON.stringify(got) !== JSON.stringify({ size: ours.size, members: ours.members })) {
          mismatches.push(
            `${plainC(c)}\n  bpfmaps: ${JSON.stringify({ size: ours.size, members: ours.members })}\n  clang:   ${JSON.stringify(got)}`,
          );
        }
      }
      expect(mismatches.slice(0, 3).join('\n\n')).toBe('');
    });

    it("bpfmaps' own C, with explicit padding named per scope, compiles with -Werror and meets its asserts", () => {
      const own = named.map((c) => {
        const t = `${c.keyword} ${c.cName}`;
        const asserts = [
          `_Static_assert(sizeof(${t}) == ${c.size}, "size ${c.cName}");`,
          `_Static_assert(_Alignof(${t}) == ${c.align}, "align ${c.cName}");`,
          ...c
            .flatMembers()
            .filter((m) => m.bits === undefined)
            .map(
              (m) =>
                `_Static_assert(__builtin_offsetof(${t}, ${m.name}) == ${m.offset}, "${c.cName}.${m.name}");`,
            ),
        ];
        return [
          `${t} {`,
          ...c.cBody().map((l) => `\t${l}`),
          `}${c.cAttributes()};`,
          ...asserts,
        ].join('\n');
      });
      const header = [
        '#include <linux/types.h>',
        ...enums.map(
          (e) =>
            `enum ${e.cName} { ${e
              .constants()
              .map((k) => `${k.name} = ${k.value}`)
              .join(', ')} };`,
        ),
        ...own,
      ];
      expect(() => compileBpf(header.join('\n'))).not.toThrow();
    });

    it('host: the compiled program agrees on every size, alignment, offset and bitfield', () => {
      const probe = (c: Composite) => {
        const t = `${c.keyword} ${c.cName}`;
        const lines = [
          `{ ${t} x; (void)x; printf("%s %zu %zu", "${c.cName}", sizeof(${t}), _Alignof(${t}));`,
        ];
        for (const m of c.flatMembers()) {
          if (m.bits === undefined)
            lines.push(`printf(" ${m.name}=%zu:0", __builtin_offsetof(${t}, ${m.name}) * 8);`);
          else
            lines.push(
              `memset(&x, 0, sizeof x); x.${m.name} = -1; bits(&x, sizeof x, "${m.name}");`,
            );
        }
        return [...lines, 'printf("\\n"); }'].join('\n');
      };
      const program = [
        '#include <stdio.h>',
        '#include <string.h>',
        source,
        // Prints the first set bit and the number of set bits: where a bitfield lives.
        'static void bits(const void *p, size_t n, const char *name) { const unsigned char *b = p; int first = -1, count = 0;',
        '  for (size_t i = 0; i < n * 8; i++) if (b[i / 8] >> (i % 8) & 1) { if (first < 0) first = (int)i; count++; }',
        '  printf(" %s=%d:%d", name, first, count); }',
        'int main(void) {',
        ...named.map(probe),
        'return 0; }',
      ].join('\n');
      const printed = new Map(
        runHost(program)
          .trim()
          .split('\n')
          .map((line) => {
            const [name, size, align, ...members] = line.split(' ');
            return [
              name,
              {
                size: Number(size),
                align: Number(align),
                members: Object.fromEntries(
                  members.map((m) => {
                    const [n, v] = m.split('=');
                    return [n, v!.split(':').map(Number)];
                  }),
                ),
              },
            ];
          }),
      );
      const mismatches = named
        .filter((c) => JSON.stringify(printed.get(c.cName)) !== JSON.stringify(expected(c)))
        .map(
          (c) =>
            `${plainC(c)}\n  bpfmaps: ${JSON.stringify(expected(c))}\n  clang:   ${JSON.stringify(printed.get(c.cName))}`,
        );
      expect(mismatches.slice(0, 3).join('\n\n')).toBe('');
    });
  },
);

/** The generated codec functions of `root`, as codegen writes them, compiled from TS to JS. */
function generatedCodec(root: Composite) {
  const fns = namedIn(root).map(
    (c) =>
      `function encode${c.name}(v: DataView, o: number, x: any, p: string): void {\n${c.tsEncoder().join('\n')}\n}\n` +
      `function decode${c.name}(v: DataView, o: number): any { return {\n${c.tsDecoder().join('\n')}\n}; }`,
  );
  const tables = enumsIn(root).map(
    (e) =>
      `const ${e.name}Values = ${JSON.stringify(e.values)}; const ${e.name}Names = ${JSON.stringify(e.names)};`,
  );
  const source = `${tables.join('\n')}\n${fns.join('\n')}\nreturn { encode: encode${root.name}, decode: decode${root.name} };`;
  const js = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022 },
  }).outputText;
  return new Function('c', js)(primitives) as {
    encode(v: DataView, o: number, x: unknown, p: string): void;
    decode(v: DataView, o: number): unknown;
  };
}

it('random values round-trip through the reference and the generated codec, byte for byte', () => {
  const roots = schemas().slice(0, 300);
  for (const root of roots) {
    const generated = generatedCodec(root);
    for (const value of fc.sample(arbitraryOf(root), { numRuns: 3, seed: SEED })) {
      let reference: Uint8Array;
      try {
        reference = encodeReference(root, value);
      } catch (e) {
        throw new Error(
          `${(e as Error).message}\n${namedIn(root).map(plainC).join('\n')}\n${JSON.stringify(value)}`,
        );
      }
      const bytes = new Uint8Array(root.size + 3).fill(0xee);
      generated.encode(new DataView(bytes.buffer), 3, value, root.name);
      expect(bytes.subarray(3), plainC(root)).toEqual(reference);
      const decoded = decodeReference(root, reference);
      expect(decoded).toMatchObject(value as object);
      expect(generated.decode(new DataView(bytes.buffer), 3)).toEqual(decoded);
    }
  }
}, 120_000);
