/**
 * `codegen import`, round trip, on a C program in the style of real tools: a
 * conntrack-like packed tuple, a histogram with slots and comm, an
 * enum-tagged union key, bitfield flags, `.rodata` config and a ring buffer
 * of events. import -> codegen -> the program migrated onto the generated
 * header compiles, and each of its structs is the original's, member by
 * member; the original object, configured and run, is read through the
 * imported schema's generated module.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpfObject } from '@bpfmaps/runtime';
import { Btf, flatMemberSpecs, readSection, typeDifferences, type TypeSpec } from '@bpfmaps/schema';
import { compileBpf, describeWith } from '@bpfmaps/testing';
import { expect, it } from 'vitest';
import { cliSandbox } from './support/cli.js';

const INCLUDES = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <stdbool.h>
`;

/** What the original program defines itself, and the migrated one takes from the generated header. */
const DEFINITIONS = `
#define TASK_COMM_LEN 16
#define MAX_SLOTS 26

struct ct_tuple {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
} __attribute__((packed));

enum ct_state { CT_NEW = 0, CT_ESTABLISHED = 1, CT_CLOSING = 2 };

struct ct_entry {
	__u64 packets;
	__u64 bytes;
	enum ct_state state;
	__u32 flags_word;
	__u64 last_seen;
};

struct hist {
	__u32 slots[MAX_SLOTS];
	char comm[TASK_COMM_LEN];
};

enum key_kind { KEY_PID = 1, KEY_CGROUP = 2, KEY_COMM = 3 };

struct tagged_key {
	enum key_kind kind;
	union {
		__u32 pid;
		__u64 cgroup;
		char comm[8];
	};
};

struct flags {
	__u32 enabled : 1;
	__u32 level : 3;
	__u32 mask : 12;
	__u16 port;
	__u8 __pad[2];
};

struct event {
	__u32 pid;
	__u32 ppid;
	char comm[TASK_COMM_LEN];
	__u64 ts;
};

/* Keeps struct event in the BTF, where import finds it. */
struct event *unused_event __attribute__((unused));

const volatile __u32 targ_pid = 0;
const volatile bool targ_failed = false;
const volatile struct flags targ_flags = {};
__u64 total_events = 0;
__u32 sample_every SEC(".data") = 1;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ct_tuple);
	__type(value, struct ct_entry);
} conntrack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct tagged_key);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} by_key SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct flags);
} flag_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");
`;

const BODY = `
SEC("xdp")
int record(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	__u32 pid = 42, zero = 0;
	struct ct_tuple t = {
		.saddr = bpf_htonl(0x0a000001), .daddr = bpf_htonl(0x0a000002),
		.sport = bpf_htons(1234), .dport = bpf_htons(80), .proto = 6,
	};
	struct ct_entry init = { .state = CT_ESTABLISHED, .flags_word = 7 };
	struct hist empty = {};
	struct tagged_key tk = {};
	struct flags f = { .enabled = 1, .level = 5, .mask = 0xabc, .port = 8080 };
	struct ct_entry *e;
	struct hist *h;
	struct event *ev;
	__u64 one = 1;

	if (targ_pid && pid != targ_pid)
		return XDP_DROP;
	bpf_map_update_elem(&conntrack, &t, &init, BPF_NOEXIST);
	e = bpf_map_lookup_elem(&conntrack, &t);
	if (e) {
		__sync_fetch_and_add(&e->packets, 1);
		__sync_fetch_and_add(&e->bytes, len);
		e->last_seen = 1000;
	}
	bpf_map_update_elem(&hists, &pid, &empty, BPF_NOEXIST);
	h = bpf_map_lookup_elem(&hists, &pid);
	if (h) {
		h->slots[3] += 1;
		h->slots[25] = 9;
		__builtin_memcpy(h->comm, "tools", 6);
	}
	tk.kind = KEY_COMM;
	__builtin_memcpy(tk.comm, "xdp", 4);
	bpf_map_update_elem(&by_key, &tk, &one, BPF_ANY);
	if (targ_failed)
		f.level = targ_flags.level;
	bpf_map_update_elem(&flag_table, &zero, &f, BPF_ANY);
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (ev) {
		ev->pid = pid;
		ev->ppid = 1;
		__builtin_memcpy(ev->comm, "tools", 6);
		ev->ts = 99;
		bpf_ringbuf_submit(ev, 0);
	}
	total_events += sample_every;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

/** Every struct of an object, by C name, as the schema's BTF reader sees it. */
function structs(object: string) {
  const btf = new Btf(readSection(readFileSync(object), '.BTF')!, object);
  return new Map(
    btf.types
      .filter((t) => (t.kind === 'struct' || t.kind === 'union') && t.name !== '')
      .map((t) => [t.name, btf.typeSpec(t.id)]),
  );
}

const box = cliSandbox();

interface Generated {
  openMaps(obj: BpfObject): {
    conntrack: { get(k: object): unknown };
    hists: { get(k: number): { slots: number[]; comm: string } | undefined };
    by_key: { keys(): Iterable<Record<string, unknown>> };
    flag_table: { get(i: number): unknown };
    events: { drain(): unknown[] };
    close(): void;
    [Symbol.dispose](): void;
  };
  openGlobals(obj: BpfObject): {
    rodata: { targ_pid: number; targ_failed: boolean; targ_flags: Record<string, number> };
    data: { sample_every: number };
    bss: { total_events: bigint };
  };
}

describeWith(['clang', 'libbpf-headers', 'bpf'], 'codegen import, round trip', () => {
  const original = compileBpf(`${INCLUDES}${DEFINITIONS}${BODY}`);

  it('imports every map, global and type, and the migrated program has the original layouts', async () => {
    const r = box.codegen('import', original, '-o', 'tools.schema.ts');
    expect(r.stderr).toBe(
      [
        'note: struct flags.__pad: a name C reserves, imported as padding (pad(2), named _pad): TS does not see it, and C code that names it must use the new name',
        'note: map events: its events taken to be struct event, the one struct named as an event (--event events=<struct> to choose)',
        "note: global sample_every (.data) starts as 1 in C; the header's definition starts zeroed: keep the C definition with its value after the include (C completes the header's), or set it before load (openGlobals(obj).data.sample_every = ...)",
        'note: global unused_event (.bss): a pointer; left out',
        '',
      ].join('\n'),
    );
    expect(r.stdout).toBe('wrote tools.schema.ts: 5 maps, 8 types, 5 globals\n');
    expect(r.code).toBe(0);
    const schema = readFileSync(join(box.dir, 'tools.schema.ts'), 'utf8');
    expect(schema).toContain('export const CtTuple = struct(');
    expect(schema).toContain('{ packed: true }');
    expect(schema).toContain('mask: bits(u32, 12)');
    expect(schema).toContain('_anon0: anonymousUnion({ pid: u32, cgroup: u64, comm: chars(8) })');
    expect(schema).toContain(
      "export const events = ringbuf('events', { event: Event, size: 262144 });",
    );

    const gen = box.codegen('tools.schema.ts');
    expect(gen.stderr).toBe('');
    expect(gen.code).toBe(0);
    const migrated = compileBpf(`${INCLUDES}#include "tools.h"\n${BODY}`, { includes: [box.dir] });
    const generated = (await import(join(box.dir, 'tools.gen.ts'))) as Generated &
      Record<string, TypeSpec>;
    const before = structs(original);
    const after = structs(migrated);
    const names = {
      ct_tuple: 'CtTuple',
      ct_entry: 'CtEntry',
      hist: 'Hist',
      tagged_key: 'TaggedKey',
      flags: 'Flags',
      event: 'Event',
    };
    for (const [cName, exportName] of Object.entries(names)) {
      const schema = generated[`${exportName}TypeSpec`]!;
      const [a, b] = [before.get(cName)!, after.get(cName)!];
      expect(b, cName).toBeDefined();
      // The imported schema says what both objects say, read either way.
      for (const btf of [a, b]) {
        expect(typeDifferences(cName, schema, btf), cName).toEqual([]);
        expect(typeDifferences(cName, btf, schema), cName).toEqual([]);
      }
      // Member by member: the same names at the same places (padding named as C names it or not).
      const places = (s: TypeSpec) =>
        s.kind === 'struct' || s.kind === 'union'
          ? flatMemberSpecs(s)
              .filter((m) => !m.name.startsWith('_'))
              .map((m) => `${m.name}@${m.bitOffset}:${m.bits}`)
          : [];
      expect(places(b), cName).toEqual(places(a));
      expect(places(a).length, cName).toBeGreaterThan(1);
    }

    // The original object, configured and run, read through what the import generated.
    const { openMaps, openGlobals } = generated;
    using obj = BpfObject.open(original);
    const g = openGlobals(obj);
    g.rodata.targ_pid = 42;
    g.rodata.targ_failed = true;
    g.rodata.targ_flags = { enabled: 0, level: 3, mask: 0, port: 0 };
    g.data.sample_every = 5;
    obj.load();
    using maps = openMaps(obj);
    expect(obj.program('record').testRun({ data: new Uint8Array(64) }).retval).toBe(2);
    expect(
      maps.conntrack.get({
        saddr: 0x0a000001,
        daddr: 0x0a000002,
        sport: 1234,
        dport: 80,
        proto: 6,
      }),
    ).toEqual({
      packets: 1n,
      bytes: 64n,
      state: 'CT_ESTABLISHED',
      flags_word: 7,
      last_seen: 1000n,
    });
    const hist = maps.hists.get(42)!;
    expect([hist.slots[3], hist.slots[25], hist.comm]).toEqual([1, 9, 'tools']);
    expect([...maps.by_key.keys()].map((k) => [k.kind, k.comm])).toEqual([['KEY_COMM', 'xdp']]);
    expect(maps.flag_table.get(0)).toEqual({ enabled: 1, level: 3, mask: 0xabc, port: 8080 });
    expect(maps.events.drain()).toEqual([{ pid: 42, ppid: 1, comm: 'tools', ts: 99n }]);
    expect(g.bss.total_events).toBe(5n);
  });
});

describeWith(
  ['clang', 'libbpf-headers'],
  'codegen import refuses, naming the fault, writing nothing',
  () => {
    const withRing = (extra: string) =>
      compileBpf(`${INCLUDES}
struct sample { __u32 pid; };
${extra}
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ring SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct sample);
} samples SEC(".maps");
char LICENSE[] SEC("license") = "GPL";
`);
    const noEventStruct = withRing('');
    const bigEndian = compileBpf(`${INCLUDES}\nchar LICENSE[] SEC("license") = "GPL";\n`, {
      args: ['-target', 'bpfeb'],
    });
    const noBtf = compileBpf(
      `${INCLUDES}\nSEC("xdp")\nint x(struct xdp_md *c)\n{\n\t(void)c;\n\treturn 2;\n}\n`,
      {
        args: ['-g0'],
      },
    );

    it.each([
      {
        name: 'an object without BTF',
        args: [noBtf],
        code: 2,
        says: 'has no BTF (no .BTF section): is it a BPF object built with clang -g?',
      },
      {
        name: 'a file that is no object',
        args: ['notes.txt'],
        code: 2,
        says: 'notes.txt is not an ELF file: name a BPF object',
      },
      {
        name: 'a big-endian object',
        args: [bigEndian],
        code: 2,
        says: 'is a big-endian object (clang -target bpfeb): only little-endian objects are read',
      },
      {
        name: '--event naming a map the object lacks',
        args: [noEventStruct, '--event', 'rings=sample'],
        code: 2,
        says: '--event rings=sample: the object has no map rings; it has: ring, samples',
      },
      {
        name: '--event naming a map that carries no events',
        args: [noEventStruct, '--event', 'samples=sample'],
        code: 2,
        says: '--event samples=sample: map samples is a hash, not a ring buffer or perf event array',
      },
      {
        name: '--event naming one map twice',
        args: [noEventStruct, '--event', 'ring=sample', '--event', 'ring=other'],
        code: 64,
        says: '--event names map ring twice',
      },
      {
        name: 'a missing file',
        args: ['nope.bpf.o'],
        code: 2,
        says: 'cannot read nope.bpf.o (ENOENT',
      },
      {
        name: 'a map the object lacks',
        args: [noEventStruct, '--maps', 'samples,nope', '--event', 'ring=sample'],
        code: 2,
        says: 'has no map nope; it has: ring, samples',
      },
      {
        name: 'events whose struct the BTF does not say',
        args: [noEventStruct],
        code: 2,
        says: "map ring carries events, and the object's BTF does not say which struct they are; name it: --event ring=<struct> (the object's structs: sample). A struct only local variables use is not in the BTF",
      },
      {
        name: 'an event struct the BTF lacks',
        args: [noEventStruct, '--event', 'ring=event'],
        code: 2,
        says: "--event ring=event: the object's BTF has no struct event",
      },
      {
        name: '--event without map=struct',
        args: [noEventStruct, '--event', 'ring'],
        code: 64,
        says: '--event takes map=struct (C names), e.g. --event events=event; received "ring"',
      },
      { name: 'no object', args: [], code: 64, says: 'Name one BPF object' },
      { name: 'two objects', args: [noBtf, noBtf], code: 64, says: 'Name one BPF object' },
      {
        name: 'the object as the output',
        args: [noEventStruct, '-o', noEventStruct],
        code: 64,
        says: 'is the object itself: name a .schema.ts file',
      },
      {
        name: 'an unknown option',
        args: [noBtf, '--mpas', 'x'],
        code: 64,
        says: 'Unknown argument',
      },
    ])('$name (exit $code)', ({ args, code, says }) => {
      box.write('notes.txt', 'not an object\n');
      const r = box.codegen('import', ...args);
      expect(r.stderr).toContain(says);
      expect(r.stderr).not.toContain('    at ');
      expect(r.code).toBe(code);
      expect(readdirSync(box.dir).filter((f) => f.endsWith('.ts'))).toEqual([]);
    });

    it('an existing schema file is replaced only with --force', () => {
      box.write('prog.schema.ts', '// mine\n');
      const object = withRing('struct sample *unused_sample __attribute__((unused));');
      const args = ['import', object, '-o', 'prog.schema.ts', '--event', 'ring=sample'];
      const refused = box.codegen(...args);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(
        'codegen: prog.schema.ts exists: pass --force to replace it (nothing was written)\n',
      );
      expect(readFileSync(join(box.dir, 'prog.schema.ts'), 'utf8')).toBe('// mine\n');
      const forced = box.codegen(...args, '--force');
      expect(forced.stderr).toBe('note: global unused_sample (.bss): a pointer; left out\n');
      expect(forced.code).toBe(0);
      const schema = readFileSync(join(box.dir, 'prog.schema.ts'), 'utf8');
      expect(schema).toContain(
        "export const ring = ringbuf('ring', { event: Sample, size: 4096 });",
      );
      expect(schema).toContain(
        "export const samples = hash('samples', { key: u32, value: Sample, maxEntries: 4 });",
      );
    });
  },
);

describeWith(['clang', 'libbpf-headers'], 'codegen import of awkward C', () => {
  const object = compileBpf(`${INCLUDES}
#include <linux/in6.h>

struct al16 { __u32 a; __u64 b __attribute__((aligned(16))); __u8 c; };
struct outer { __u64 x; struct al16 in; __u32 y; };
struct wide { __u32 tag; unsigned __int128 u; };
struct msg { __u32 len; __u8 __flags; __u8 data[]; };
struct key6 { struct in6_addr saddr; __u16 port; };
/* tracepoint contexts name themselves as events too */
struct trace_event_raw_demo { __u64 common; };
struct event { __u32 pid; };
struct event *unused_event __attribute__((unused));
struct trace_event_raw_demo *unused_ctx __attribute__((unused));

const volatile __u64 min_us = 1000;
const volatile bool per_process = true;
__u32 ratio SEC(".data") = 0;
__u32 custom_x SEC(".data.custom") = 7;

struct inner_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} inner_a SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner_map);
} outer_maps SEC(".maps") = { .values = { [0] = &inner_a } };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, struct key6);
	__type(value, struct outer);
} by_key6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct wide);
} wides SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct msg);
} msgs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

char LICENSE[] SEC("license") = "GPL";
`);

  it('comes across as a schema whose header has the original alignments, with a note for each liberty', () => {
    const r = box.codegen('import', object, '-o', 'awk.schema.ts');
    expect(r.code).toBe(0);
    const notes = r.stderr.trim().split('\n');
    expect(notes).toEqual(
      expect.arrayContaining([
        'note: global custom_x (.data.custom): a custom section, which a schema does not declare; left out (read it with obj.global(name, type))',
        "note: global min_us (.rodata) starts as 1000n in C; the header's definition starts zeroed: keep the C definition with its value after the include (C completes the header's), or set it before load (openGlobals(obj).rodata.min_us = ...)",
        "note: global per_process (.rodata) starts as true in C; the header's definition starts zeroed: keep the C definition with its value after the include (C completes the header's), or set it before load (openGlobals(obj).rodata.per_process = ...)",
        "note: map outer_maps is filled in C (.values = { ... }); the header's definition starts empty: set its slots from user space (maps.outer_maps.set(index, ...)), or keep its definition in C",
        'note: struct key6.saddr: struct in6_addr, imported as ipv6 (the same bytes, decoded as an address; C code that reads its members reads the bytes instead, and the header needs no kernel type)',
        'note: struct wide.u: a 128-bit integer, imported as bytes(16)',
        "note: struct msg.data: a flexible array member, left out (it has no bytes in the struct; an event's variable tail is a struct option, tail)",
        'note: struct msg.__flags: a name C reserves, imported as padding (pad(1), named _flags): TS does not see it, and C code that names it must use the new name',
        'note: map events: its events taken to be struct event, the one struct named as an event (--event events=<struct> to choose)',
      ]),
    );
    expect(notes.join('\n')).not.toContain('ratio'); // zero-initialised: nothing to say
    const schema = readFileSync(join(box.dir, 'awk.schema.ts'), 'utf8');
    expect(schema).toContain(
      "export const Al16 = struct('Al16', { a: u32, _hole0: pad(12), b: u64, c: u8 }, { align: 16 });",
    );
    expect(schema).toContain("export const Outer = struct('Outer', { x: u64, in: Al16, y: u32 });");
    expect(schema).toMatch(
      /export const Wide = struct\('Wide', \{ tag: u32, _hole0: pad\(12\), u: bytes\(16\) \}, \{ align: 16 \}\);/,
    );
    expect(schema).toContain('saddr: ipv6');
    const gen = box.codegen('awk.schema.ts');
    expect(gen.stderr).toBe('');
    const header = readFileSync(join(box.dir, 'awk.h'), 'utf8');
    // What BTF does not say, the header asserts as the original C has it.
    for (const [struct, align, size] of [
      ['al16', 16, 32],
      ['outer', 16, 64],
      ['wide', 16, 32],
    ] as const) {
      expect(header).toContain(`_Static_assert(_Alignof(struct ${struct}) == ${align},`);
      expect(header).toContain(`_Static_assert(sizeof(struct ${struct}) == ${size},`);
    }
    // The same, checked by clang against the original definitions.
    compileBpf(
      `${INCLUDES}
#include "awk.h"
struct al16_c { __u32 a; __u64 b __attribute__((aligned(16))); __u8 c; };
struct wide_c { __u32 tag; unsigned __int128 u; };
_Static_assert(_Alignof(struct al16) == _Alignof(struct al16_c), "al16");
_Static_assert(_Alignof(struct wide) == _Alignof(struct wide_c), "wide");
`,
      { includes: [box.dir] },
    );
  });
});
