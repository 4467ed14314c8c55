/** Names the generated files cannot give the user's declarations, refused with the thing at fault named. */
import { readFileSync } from 'node:fs';
import { enumType, hash, ringbuf, struct, tagged, u32, u8, type CType } from '@bpfmaps/schema';
import { compileBpf, describeWith, tempDir } from '@bpfmaps/testing';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openAll } from '@bpfmaps/runtime';
import { describe, expect, it } from 'vitest';
import { generate } from '../src/index.js';
import { GROUP_MEMBERS } from '../src/model/maps.js';
import { DATA_FILE, installedNames, merge, readNames, serialize } from '../scripts/uapi-names.js';

const K = struct('K', { a: u32 });
const render = (module: Record<string, unknown>) =>
  generate(module, { source: 'maps.schema.ts', header: 'maps.h', module: 'maps.gen.ts' });

describe('map names and the object openMaps() returns', () => {
  it('a map named close is refused: maps.close is the group close()', async () => {
    await expect(
      render({ K, close: hash('close', { key: K, value: K, maxEntries: 4 }) }),
    ).rejects.toThrow(
      "map close: the generated Maps object has its own close() (it closes every map), so maps.close could not be the map. Give the map another name, e.g. hash('close_map', ...)",
    );
  });

  it('the refused names are exactly the string members of a runtime map group', () => {
    const members = Reflect.ownKeys(openAll({})).filter((k) => typeof k === 'string');
    expect([...members].sort()).toEqual([...GROUP_MEMBERS].sort());
  });

  it('an export named close is fine: only the map name is a key of the group', async () => {
    await expect(
      render({ K, close: hash('closed', { key: K, value: K, maxEntries: 4 }) }),
    ).resolves.toHaveLength(2);
  });
});

describe('names the headers maps.h includes already declare', () => {
  const m = (key: CType<unknown>, name = 'm') => ({
    [name]: hash(name, { key, value: u32, maxEntries: 4 }),
  });
  it.each([
    {
      what: 'a struct whose C name is a uapi struct',
      module: m(struct('XdpMd', { a: u32 })),
      clash: 'XdpMd is struct xdp_md in C, which <linux/bpf.h> declares too: give it another cName',
    },
    {
      what: 'an enum whose constant is a uapi enum constant',
      module: m(struct('K', { e: enumType('Bpf', { ANY: 0 }, { storage: u8 }) })),
      clash: "Bpf's constant BPF_ANY is declared by <linux/bpf.h> too: give Bpf another cName",
    },
    {
      what: 'a field named like a uapi macro',
      module: m(struct('K', { BPF_W: u32 })),
      clash: 'K.BPF_W is a macro of <linux/bpf_common.h>: rename the field',
    },
    {
      what: 'a map named like a libbpf helper',
      module: m(u32, 'bpf_loop'),
      clash: 'map bpf_loop is declared by <bpf/bpf_helper_defs.h> too: give the map another name',
    },
  ])('$what is refused, naming the schema file', async ({ module, clash }) => {
    const error = await render(module).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SchemaError', code: 'RESERVED_NAME' });
    expect((error as Error).message).toMatch(/^maps\.schema\.ts: the generated header includes/);
    expect((error as Error).message).toContain(`\n  ${clash}`);
  });
});

describeWith(['clang', 'libbpf-headers'], 'data/uapi-names.json', () => {
  it('holds every name the installed headers declare (else: npm run uapi-names -w @bpfmaps/codegen)', () => {
    const listed = readNames();
    const installed = installedNames();
    const missing = serialize(merge(listed, installed)) !== serialize(listed);
    expect(
      missing,
      'data/uapi-names.json lacks names the installed headers declare: run npm run uapi-names -w @bpfmaps/codegen and commit it',
    ).toBe(false);
    expect(readFileSync(DATA_FILE, 'utf8')).toBe(serialize(listed));
    expect(installed['linux/bpf.h']?.tags).toContain('xdp_md');
  });
});

describe('names the header makes from map names', () => {
  const E = struct('E', { a: u32 });
  it("a map named like another map's helper is refused, naming both", async () => {
    await expect(
      render({
        E,
        ev: ringbuf('ev', { event: E, size: 4096 }),
        evReserve: hash('ev_reserve', { key: u32, value: u32, maxEntries: 4 }),
      }),
    ).rejects.toThrow(
      'ev_reserve would be defined twice in the C header (a helper function and a map): rename the map so the names differ',
    );
  });
});

describeWith(['clang', 'libbpf-headers'], 'one struct sent under two tags', () => {
  it('gets helpers named after each tag, and the header compiles', async () => {
    const Kind = enumType('Kind', { ENTER: 1, EXIT: 2 });
    const Call = struct('Call', { kind: Kind, pid: u32 });
    const [header] = await render({
      Kind,
      Call,
      calls: ringbuf('calls', { event: tagged('kind', { ENTER: Call, EXIT: Call }), size: 4096 }),
    });
    const dir = tempDir('bpfmaps-tagged-');
    writeFileSync(join(dir, 'maps.h'), header!.content);
    expect(() =>
      compileBpf(
        `#include "maps.h"
SEC("raw_tp") int both(void *ctx __attribute__((unused)))
{
	struct call *e = calls_reserve_enter();
	struct call x = { .pid = 2 };

	if (e) {
		e->pid = 1;
		calls_submit(e);
	}
	return calls_output_exit(&x);
}
char LICENSE[] SEC("license") = "GPL";
`,
        { includes: [dir] },
      ),
    ).not.toThrow();
    expect(header!.content).toContain('e->kind = KIND_ENTER;');
    expect(header!.content).toContain('e->kind = KIND_EXIT;');
  });
});
