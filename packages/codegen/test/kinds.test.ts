/**
 * The two kinds added on the redesign, end to end: a kernel program built
 * against the generated header, its object loaded, and the generated module
 * reading and writing the maps from TypeScript.
 */
import { BpfObject, type BpfError } from '@bpfmaps/runtime';
import { compileBpf, describeWith } from '@bpfmaps/testing';
import { afterEach, expect, it } from 'vitest';
import { fixtures } from './fixtures.js';

const dir = (name: string) => fixtures.find((f) => f.name === name)!.dir;
const open: Disposable[] = [];
const keep = <T extends Disposable>(x: T) => (open.push(x), x);
afterEach(() => {
  for (const x of open.splice(0).reverse()) x[Symbol.dispose]();
});

const MAP_IN_MAP = `#include "maps.h"

SEC("xdp")
int count_tenant(struct xdp_md *ctx)
{
	struct tenant tenant = { .id = (__u32)(ctx->data_end - ctx->data) };
	struct flow flow = {};
	struct stats *stats = tenants_lookup_inner(&tenant, &flow);

	if (!stats)
		return XDP_DROP;
	tenants_inner_add_packets(stats, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

describeWith(['bpf', 'clang', 'libbpf-headers'], 'maps of maps', () => {
  it('user space swaps inner maps; the kernel program counts into whichever is there', async () => {
    const gen = await import(`${dir('map-in-map')}/maps.gen.ts`);
    const obj = keep(BpfObject.load(compileBpf(MAP_IN_MAP, { includes: [dir('map-in-map')] })));
    const maps = keep(gen.openMaps(obj));
    const run = (len: number) =>
      obj.program('count_tenant').testRun({ data: new Uint8Array(len) }).retval;
    const XDP_DROP = 1;
    const XDP_PASS = 2;
    expect(run(64)).toBe(XDP_DROP); // no inner map for tenant 64 yet

    // Inner maps made from user space, from the template's own map type.
    const a = keep(gen.tenantsInnerMap.create());
    const b = keep(gen.tenantsInnerMap.create());
    a.set({ addr: '0.0.0.0', port: 0 }, { packets: 0n });
    b.set({ addr: '0.0.0.0', port: 0 }, { packets: 100n });
    maps.tenants.set({ id: 64 }, a);
    for (let i = 0; i < 3; i++) expect(run(64)).toBe(XDP_PASS);
    expect(a.get({ addr: '0.0.0.0', port: 0 })).toEqual({ packets: 3n });

    maps.tenants.set({ id: 64 }, b); // swap: the program now counts into b
    run(64);
    expect(b.get({ addr: '0.0.0.0', port: 0 })).toEqual({ packets: 101n });
    expect(a.get({ addr: '0.0.0.0', port: 0 })).toEqual({ packets: 3n });

    // get() opens the inner map by id as a typed handle, checked against the template.
    const inner = keep(maps.tenants.get({ id: 64 })!);
    expect(inner.raw.info.id).toBe(b.raw.info.id);
    expect(inner.get({ addr: '0.0.0.0', port: 0 })).toEqual({ packets: 101n });
    expect([...maps.tenants.keys()]).toEqual([{ id: 64 }]);
    expect(maps.tenants.delete({ id: 64 })).toBe(true);
    expect(maps.tenants.get({ id: 64 })).toBeUndefined();
    expect(run(64)).toBe(XDP_DROP);
  });

  it('an inner map that does not match the template is refused, naming both', async () => {
    const gen = await import(`${dir('map-in-map')}/maps.gen.ts`);
    const maps = keep(gen.createMaps());
    const wrong = keep(gen.slotsInnerMap.create()); // a hash of u32 -> u64, not a tenant flow table
    let error: Partial<BpfError> = {};
    try {
      maps.tenants.set({ id: 1 }, wrong);
    } catch (e) {
      error = e as BpfError;
    }
    expect(error.code).toBe('INVALID');
    expect(error.message).toContain('inner map slot must match the template tenant_flows');
    // An array of maps: indexes past the end are OUT_OF_RANGE.
    const slot = keep(gen.slotsInnerMap.create());
    maps.slots.set(7, slot);
    expect(maps.slots.id(7)).toBe(slot.raw.info.id);
    let past: Partial<BpfError> = {};
    try {
      maps.slots.set(8, slot);
    } catch (e) {
      past = e as BpfError;
    }
    expect(past.code).toBe('OUT_OF_RANGE');
  });
});

const TAIL_CALLS = `#include "maps.h"

static __always_inline void visit(__u32 stage)
{
	struct hits *hits = visits_lookup(&stage);

	if (hits)
		visits_add_n(hits, 1);
}

SEC("xdp")
int stage_one(struct xdp_md *ctx)
{
	visit(1);
	stages_tail_call(ctx, 2);
	return XDP_PASS; /* slot 2 empty: fall through */
}

SEC("xdp")
int stage_two(struct xdp_md *ctx)
{
	(void)ctx;
	visit(2);
	return XDP_DROP;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int not_xdp(void *ctx)
{
	(void)ctx;
	return 0;
}

SEC("xdp")
int entry(struct xdp_md *ctx)
{
	visit(0);
	stages_tail_call(ctx, 1);
	return XDP_ABORTED; /* slot 1 empty */
}

char LICENSE[] SEC("license") = "GPL";
`;

describeWith(['bpf', 'clang', 'libbpf-headers'], 'program arrays and tail calls', () => {
  it('user space fills the slots; tail calls jump through them, and fall through when empty', async () => {
    const gen = await import(`${dir('prog-array')}/maps.gen.ts`);
    const obj = keep(BpfObject.load(compileBpf(TAIL_CALLS, { includes: [dir('prog-array')] })));
    const maps = keep(gen.openMaps(obj));
    const run = () => obj.program('entry').testRun({ data: new Uint8Array(64) }).retval;
    const XDP_ABORTED = 0;
    const XDP_DROP = 1;
    const XDP_PASS = 2;
    expect(run()).toBe(XDP_ABORTED);

    maps.stages.set(1, obj.program('stage_one'));
    expect(run()).toBe(XDP_PASS);
    maps.stages.set(2, obj.program('stage_two'));
    expect(run()).toBe(XDP_DROP);
    expect([...maps.visits.values()].slice(0, 3).map((h: { n: bigint }) => h.n)).toEqual([
      3n,
      2n,
      1n,
    ]);

    expect(typeof maps.stages.get(1)).toBe('number'); // the program's id
    expect([...maps.stages.keys()]).toEqual([1, 2]);
    expect(maps.stages.delete(2)).toBe(true);
    expect(maps.stages.get(2)).toBeUndefined();
    expect(run()).toBe(XDP_PASS);
    expect(maps.stages.clear()).toBe(1);
    expect(run()).toBe(XDP_ABORTED);

    // A program of another type cannot join: the kernel says EINVAL, the error says why.
    let refused: Partial<BpfError> = {};
    try {
      maps.stages.set(3, obj.program('not_xdp'));
    } catch (e) {
      refused = e as BpfError;
    }
    expect(refused.code).toBe('INVALID');
    expect(refused.message).toContain('a program array holds programs of one type');
  });
});
