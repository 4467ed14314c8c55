import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileBpf, describeWith, tempDir } from '@bpfmaps/testing';
import { expect, it } from 'vitest';
import { BpfError, BpfObject, HashMap, openMap, referenceCodec } from '../src/index.js';
import { withLibbpfLog } from '../src/ffi/log.js';
import { hash, u32, u64 } from '@bpfmaps/schema';
import { thrown } from './helpers.js';

const PROGRAM = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} sizes SEC(".maps");

SEC("xdp")
int record_size(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	__u64 one = 1, *count = bpf_map_lookup_elem(&sizes, &len);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&sizes, &len, &one, BPF_NOEXIST);
	return len > 100 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

const spec = hash('sizes', { key: u32, value: u64, maxEntries: 16 }).spec;

describeWith(
  ['bpf', 'clang', 'libbpf-headers'],
  'BpfObject with a program compiled by clang',
  () => {
    const path = compileBpf(PROGRAM);

    it('loads, runs the program with BPF_PROG_TEST_RUN and reads its map', () => {
      using obj = BpfObject.load(path);
      expect(obj.mapNames()).toEqual(['sizes']);
      expect(obj.programNames()).toEqual(['record_size']);
      const prog = obj.program('record_size');
      expect(prog.testRun({ data: new Uint8Array(60), repeat: 5 }).retval).toBe(2); // XDP_PASS, 5 runs
      expect(prog.testRun({ data: new Uint8Array(200) }).retval).toBe(1); // XDP_DROP
      using sizes = openMap(
        HashMap,
        obj.map('sizes'),
        spec,
        referenceCodec(u32),
        referenceCodec(u64),
      );
      expect(new Map(sizes.entries())).toEqual(
        new Map([
          [60, 5n],
          [200, 1n],
        ]),
      );
    });

    it('a map outlives its object: the handle holds its own fd', () => {
      const obj = BpfObject.load(path);
      using sizes = openMap(
        HashMap,
        obj.map('sizes'),
        spec,
        referenceCodec(u32),
        referenceCodec(u64),
      );
      obj.close();
      sizes.set(1, 2n);
      expect(sizes.get(1)).toBe(2n);
    });

    it('names what is missing: map, program', () => {
      using obj = BpfObject.load(path);
      expect(() => obj.map('nope')).toThrow(
        `find map nope: object ${path} has no such map; it has: sizes`,
      );
      expect(() => obj.program('nope')).toThrow('has no such program; it has: record_size');
    });

    it('a missing object file is a clear error', () => {
      const e = (() => {
        try {
          BpfObject.load('/nonexistent/prog.bpf.o');
        } catch (error) {
          return error as BpfError;
        }
      })();
      expect(e).toBeInstanceOf(BpfError);
      expect(e?.code).toBe('NOT_FOUND');
      expect(e?.message).toBe(
        'open object /nonexistent/prog.bpf.o: no such file; build the BPF object first',
      );
    });
  },
);

const REFUSED = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int peek_too_far(struct xdp_md *ctx)
{
	char *data = (char *)(long)ctx->data;
	return data[100]; /* no bounds check: the verifier refuses it */
}

char LICENSE[] SEC("license") = "GPL";
`;

describeWith(['bpf', 'clang', 'libbpf-headers'], 'errors of objects and programs', () => {
  it('a program the verifier refuses is VERIFIER, with the verifier log in the error', () => {
    const path = compileBpf(REFUSED);
    const e = thrown(() => BpfObject.load(path));
    expect(e.code).toBe('VERIFIER');
    expect(e.errno).toBe(13);
    expect(e.log).toContain('invalid access to packet');
    expect(e.target).toBe(`program peek_too_far of object ${path}`);
    expect(e.message).toContain(
      `load program peek_too_far of object ${path}: EACCES (errno 13): the verifier refused it`,
    );
    expect(e.message).toContain('R1 offset is outside of the packet');
  });

  // Each pass through the loop costs the verifier a state it cannot prune:
  // it gives up at a million instructions, after a log of megabytes: some
  // seconds alone, over a minute on two cores shared with other suites.
  it(
    'a program too complex to verify is VERIFIER, naming it, with the end of a long log',
    { timeout: 240_000 },
    () => {
      const path = compileBpf(`#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("raw_tp") int endless(__u64 *ctx)
{
	__u64 sum = ctx[0];

	for (__u32 i = 0; i < (1 << 22); i++)
		sum = sum * 3 + i;
	return sum & 1;
}
char LICENSE[] SEC("license") = "GPL";
`);
      const e = thrown(() => BpfObject.load(path));
      expect(e.code).toBe('VERIFIER');
      expect(e.errno).toBe(7);
      expect(e.target).toBe(`program endless of object ${path}`);
      expect(e.message).toContain('the program is too complex');
      expect(e.log).toMatch(/BPF program is too large|processed \d+ insns/);
      // The message carries the log's end, where the verifier says why; the whole log is e.log.
      const lines = e.log!.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(1000);
      expect(e.message.split('\n').length).toBeLessThanOrEqual(42);
      expect(e.message).toContain(`the last 40 of ${lines.length} lines of the log`);
      expect(e.message.endsWith(lines.at(-1)!)).toBe(true);
    },
  );

  it('an object, its programs and its map sources refuse use after close', () => {
    const obj = BpfObject.load(compileBpf(PROGRAM));
    const source = obj.map('sizes');
    const prog = obj.program('record_size');
    obj.close();
    for (const use of [
      () => obj.map('sizes'),
      () => obj.program('record_size'),
      () => obj.mapNames(),
      () => prog.fd,
      () => prog.testRun({ data: new Uint8Array(60) }),
    ]) {
      expect(thrown(use).code).toBe('CLOSED');
    }
    expect(thrown(() => obj.mapNames()).message).toBe(
      `list the maps of object ${obj.path}: the handle is closed`,
    );
    expect(thrown(() => obj.map('sizes')).message).toBe(
      `find a map in object ${obj.path}: the handle is closed`,
    );
    // A source taken before close cannot reach whatever map now has its old fd number.
    const e = thrown(() =>
      openMap(HashMap, source, spec, referenceCodec(u32), referenceCodec(u64)),
    );
    expect(e.code).toBe('CLOSED');
    expect(e.message).toMatch(
      /^open map sizes of object .* \(the object is closed\): the handle is closed$/,
    );
  });
});

describeWith(['bpf', 'clang', 'libbpf-headers'], 'what an error names', () => {
  it("a file that is not a BPF object says so, with libbpf's own errno named", () => {
    const e = thrown(() => BpfObject.load('/etc/hostname'));
    expect(e.code).toBe('INVALID');
    expect(e.message).toMatch(/LIBBPF_ERRNO__FORMAT \(errno 4001\).*not a BPF ELF object/);
  });

  it('opening the wrong map names the map it opened and the map the schema meant', () => {
    using obj = BpfObject.load(compileBpf(PROGRAM));
    const other = hash('other', { key: u32, value: u32, maxEntries: 16 }).spec;
    const e = thrown(() =>
      openMap(HashMap, obj.map('sizes'), other, referenceCodec(u32), referenceCodec(u32)),
    );
    expect(e.code).toBe('INCOMPATIBLE');
    expect(e.message).toContain('open map other from map sizes of object');
    // The same name is said once.
    const wide = hash('sizes', { key: u32, value: u32, maxEntries: 16 }).spec;
    expect(
      thrown(() =>
        openMap(HashMap, obj.map('sizes'), wide, referenceCodec(u32), referenceCodec(u32)),
      ).message,
    ).toMatch(/^open map sizes from object \S+: layout differs/);
    expect(e.message).toContain('value size: schema says 4, kernel map has 8');
  });

  it('a program of a closed object says the object is closed', () => {
    const obj = BpfObject.load(compileBpf(PROGRAM));
    const prog = obj.program('record_size');
    obj.close();
    expect(thrown(() => prog.testRun({ data: new Uint8Array(64) })).message).toBe(
      'use program record_size (its object is closed): the handle is closed',
    );
  });
});

/** PROGRAM, as if built from a bpfmaps header of schema `hash` (the header names a function so). */
const builtFrom = (hash: string) =>
  `${PROGRAM}\nstatic __attribute__((used)) void bpfmaps_schema_${hash}(void)\n{\n}\n`;

describeWith(['bpf', 'clang', 'libbpf-headers'], 'what is checked is what was loaded', () => {
  it('the file is read once: removing or replacing it after load changes nothing the object says', () => {
    const dir = tempDir('bpfmaps-object-');
    const path = join(dir, 'app.bpf.o');
    copyFileSync(compileBpf(builtFrom('00000000000000aa')), path);
    using obj = BpfObject.load(path);
    rmSync(path);
    expect(obj.schemaHashes()).toEqual(['00000000000000aa']);
    // A rebuild from another schema lands where the loaded object was.
    copyFileSync(compileBpf(builtFrom('00000000000000bb')), path);
    expect(obj.schemaHashes()).toEqual(['00000000000000aa']);
    using fresh = BpfObject.load(path);
    expect(fresh.schemaHashes()).toEqual(['00000000000000bb']);
    rmSync(dir, { recursive: true });
  });

  it("an object built from a bpfmaps header loads without a word from libbpf, and its map names are libbpf's", () => {
    const header = fileURLToPath(new URL('../../codegen/test/fixtures/scalars/', import.meta.url));
    const hash = /bpfmaps schema ([0-9a-f]{16})/.exec(
      readFileSync(join(header, 'maps.h'), 'utf8'),
    )![1];
    const path = compileBpf(
      `#include "maps.h"\nconst volatile __u32 limit = 1;\nSEC("xdp")\nint pass(struct xdp_md *ctx)\n{\n\t(void)ctx;\n\treturn limit ? XDP_PASS : XDP_DROP;\n}\nchar LICENSE[] SEC("license") = "GPL";\n`,
      { includes: [header] },
    );
    // Warnings and information, as libbpf prints by default: debug chatter is not collected.
    const said = withLibbpfLog((log) => {
      using obj = BpfObject.load(path);
      expect(obj.schemaHashes()).toEqual([hash]);
      // Named as bpf_object__open_file names them: the file's name up to its first dot.
      expect(obj.mapNames()).toEqual(['blocked', 'counters', 'digests', 'prog.rodata']);
      return log().text;
    });
    expect(said).toBe('');
  });

  it('an object with events maps, their types kept in its BTF, loads without a word from libbpf too', () => {
    const header = fileURLToPath(new URL('../../codegen/test/fixtures/events/', import.meta.url));
    const path = compileBpf(
      `#include "maps.h"\nSEC("raw_tp")\nint tick(void *ctx)\n{\n\tstruct tick t = { .seq = 1 };\n\n\treturn ticks_output(&t) + perf_ticks_output(ctx, &t);\n}\nchar LICENSE[] SEC("license") = "GPL";\n`,
      { includes: [header] },
    );
    const said = withLibbpfLog((log) => {
      using obj = BpfObject.load(path);
      expect(obj.mapNames()).toContain('ticks_drops');
      // The program uses struct tick alone: the others are in BTF through the header's anchors.
      const exit = obj.map('procs').structType?.('exit_event');
      expect(exit?.members.map((m) => m.name)).toEqual(['kind', 'pid', 'code']);
      return log().text;
    });
    expect(said).toBe('');
  });

  it('a file that cannot be read is a BpfError naming it', () => {
    const dir = tempDir('bpfmaps-object-');
    const e = thrown(() => BpfObject.load(dir));
    expect([e.code, e.errno]).toEqual(['INVALID', 21]);
    expect(e.message).toBe(
      `open object ${dir}: EISDIR (errno 21): this is a directory, not a BPF object file`,
    );
    rmSync(dir, { recursive: true });
  });

  it('an object built without -g is INVALID, saying to compile with -g', () => {
    const path = compileBpf(PROGRAM, { args: ['-g0'] });
    const e = thrown(() => BpfObject.load(path));
    expect(e.code).toBe('INVALID');
    expect(e.message.split('\n')[0]).toBe(
      `open object ${path}: ENOENT (errno 2): the object has no BTF: compile with clang -g (libbpf needs BTF to read its maps)`,
    );
  });
});
