/**
 * The exporter against the kernel: a program counts packets into a hash map
 * (counters, a gauge, a log2 histogram of lengths) and a per-CPU array; the
 * maps are served over HTTP, scraped with fetch, and the text is read with a
 * strict parser: the values are what the kernel counted. The cardinality cap
 * holds and keeps the totals.
 */
import {
  arrayOf,
  chars,
  enumType,
  hash,
  ipv4,
  percpuArray,
  struct,
  u16,
  u32,
  u64,
  u8,
} from '@bpfmaps/schema';
import { BpfObject, mapFromSchema, mapTypeOf, type KeyedMap } from '@bpfmaps/runtime';
import { compileBpf, describeWith } from '@bpfmaps/testing';
import { afterEach, expect, it } from 'vitest';
import { Gauge } from 'prom-client';
import { Registry, registerMaps, renderMetrics, serve } from '../src/index.js';
import { parsePrometheus, type Family } from './prometheus-text.js';

const PROGRAM = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flow { __be32 saddr; __u8 proto; __u8 pad; __u16 port; char comm[8]; };
struct stats { __u64 packets; __u64 bytes; __u32 last_len; __u32 slots[8]; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow);
	__type(value, struct stats);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

SEC("xdp")
int count(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	struct flow key = { .saddr = __builtin_bswap32(0x0a000001), .proto = len > 100 ? 17 : 6, .port = 80 };
	struct stats *s, zero = {};
	__u32 slot = 0, v = len, drop = len > 1000;
	__u64 *d;

	__builtin_memcpy(key.comm, "curl", 5);
	bpf_map_update_elem(&flows, &key, &zero, BPF_NOEXIST);
	s = bpf_map_lookup_elem(&flows, &key);
	if (!s)
		return XDP_ABORTED;
	__sync_fetch_and_add(&s->packets, 1);
	__sync_fetch_and_add(&s->bytes, len);
	s->last_len = len;
	while (v > 1 && slot < 7) {
		v >>= 1;
		slot++;
	}
	__sync_fetch_and_add(&s->slots[slot], 1);
	d = bpf_map_lookup_elem(&drops, &drop);
	if (d)
		*d += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

const Proto = enumType('Proto', { TCP: 6, UDP: 17 }, { storage: u8 });
const Flow = struct('Flow', { saddr: ipv4, proto: Proto, pad: u8, port: u16, comm: chars(8) });
const Stats = struct('Stats', {
  packets: u64.counter(),
  bytes: u64.counter().describe('Bytes of the packets counted.'),
  last_len: u32,
  slots: arrayOf(u32, 8),
});
const flows = hash('flows', { key: Flow, value: Stats, maxEntries: 1024, export: true });
const drops = percpuArray('drops', { value: u64.counter(), maxEntries: 2, export: true });

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((c) => c()));

async function scrape(registry: Registry): Promise<Map<string, Family>> {
  const { server, port } = await serve(registry, { port: 0, host: '127.0.0.1' });
  closers.push(() => server.close());
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const missing = await fetch(`http://127.0.0.1:${port}/other`);
  expect(missing.status).toBe(404);
  return parsePrometheus(await res.text());
}

describeWith(['bpf', 'clang', 'libbpf-headers'], 'the exporter, scraped', () => {
  const object = compileBpf(PROGRAM);

  it('serves what the kernel counted: counters, gauges, a log2 histogram, per-CPU sums, key fields as labels', async () => {
    const obj = BpfObject.load(object);
    closers.push(() => obj.close());
    const lengths = [60, 60, 64, 200, 1500];
    for (const len of lengths) obj.program('count').testRun({ data: new Uint8Array(len) });
    const flowMap = mapTypeOf(flows).open(obj.map('flows')) as unknown as KeyedMap<
      unknown,
      unknown
    >;
    const dropMap = mapTypeOf(drops).open(obj.map('drops')) as unknown as KeyedMap<
      unknown,
      unknown
    >;
    closers.push(() => (flowMap.close(), dropMap.close()));
    const registry = new Registry();
    registerMaps(registry, [
      { decl: flows, map: flowMap },
      { decl: drops, map: dropMap },
    ]);
    const families = await scrape(registry);
    const tcp = { saddr: '10.0.0.1', proto: 'TCP', pad: '0', port: '80', comm: 'curl' };
    const udp = { ...tcp, proto: 'UDP' };
    const packets = families.get('bpfmaps_flows_packets_total')!;
    expect(packets.type).toBe('counter');
    expect(packets.samples.map((s) => [s.labels, s.value]).sort()).toEqual(
      [
        [tcp, 3],
        [udp, 2],
      ].sort(),
    );
    const bytes = families.get('bpfmaps_flows_bytes_total')!;
    expect(bytes.help).toBe('Bytes of the packets counted.');
    expect(bytes.samples.find((s) => s.labels.proto === 'UDP')!.value).toBe(1700);
    expect(families.get('bpfmaps_flows_last_len')!.type).toBe('gauge');
    const hist = families.get('bpfmaps_flows_slots')!;
    expect(hist.type).toBe('histogram');
    const tcpBuckets = hist.samples.filter(
      (s) => s.name.endsWith('_bucket') && s.labels.proto === 'TCP',
    );
    // 60, 60 and 64 bytes: slots 5 (32-63) and 6 (64-127); buckets are cumulative.
    expect(tcpBuckets.map((s) => [s.labels.le, s.value])).toEqual([
      ['1', 0],
      ['3', 0],
      ['7', 0],
      ['15', 0],
      ['31', 0],
      ['63', 2],
      ['127', 3],
      ['255', 3],
      ['+Inf', 3],
    ]);
    expect(
      hist.samples.find((s) => s.name.endsWith('_count') && s.labels.proto === 'TCP')!.value,
    ).toBe(3);
    // The per-CPU array, summed over CPUs: four packets up to 1000 bytes, one over.
    expect(
      families.get('bpfmaps_drops_value_total')!.samples.map((s) => [s.labels.key, s.value]),
    ).toEqual([
      ['0', 4],
      ['1', 1],
    ]);
    expect(families.get('bpfmaps_exporter_series_aggregated')!.samples).toEqual([
      { name: 'bpfmaps_exporter_series_aggregated', labels: { map: 'flows' }, value: 0 },
      { name: 'bpfmaps_exporter_series_aggregated', labels: { map: 'drops' }, value: 0 },
    ]);
  });

  it('holds the cardinality cap: the largest series stay, the rest sum into other, counted', async () => {
    const Key = struct('Key', { id: u32 });
    const decl = hash('t_exp_cap', { key: Key, value: Stats, maxEntries: 100, export: true });
    const map = mapFromSchema(decl) as unknown as KeyedMap<{ id: number }, unknown>;
    closers.push(() => map.close());
    map.setMany(
      Array.from(
        { length: 50 },
        (_, i) =>
          [
            { id: i },
            { packets: BigInt(i), bytes: 1n, last_len: 0, slots: [0, 0, 0, 0, 0, 0, 0, i] },
          ] as const,
      ),
    );
    const registry = new Registry();
    registerMaps(registry, [{ decl, map: map as KeyedMap<unknown, unknown> }], {
      maxSeries: 10,
      labels: { 't_exp_cap.id': 'flow_id' },
      prefix: 'tool_',
    });
    const families = await scrape(registry);
    const packets = families.get('tool_t_exp_cap_packets_total')!.samples;
    expect(packets).toHaveLength(10);
    expect(packets.slice(0, 9).map((s) => s.labels.flow_id)).toEqual([
      '49',
      '48',
      '47',
      '46',
      '45',
      '44',
      '43',
      '42',
      '41',
    ]);
    const other = packets.find((s) => s.labels.flow_id === 'other')!;
    expect(other.value).toBe((40 * 41) / 2); // ids 0..40, summed
    expect(
      families.get('tool_t_exp_cap_bytes_total')!.samples.reduce((s, x) => s + x.value, 0),
    ).toBe(50);
    expect(families.get('tool_exporter_series_aggregated')!.samples[0]!.value).toBe(41);
  });

  it("writes the very text prom-client's own metrics() writes: escapes, histograms, other, metrics of its own", async () => {
    const Key = struct('Key', { name: chars(16), id: u32 });
    const decl = hash('t_exp_text', { key: Key, value: Stats, maxEntries: 16, export: true });
    const map = mapFromSchema(decl) as unknown as KeyedMap<{ name: string; id: number }, unknown>;
    closers.push(() => map.close());
    const names = ['plain', 'quo"te', 'back\\slash', 'new\nline', 'ünï'];
    map.setMany(
      names.map(
        (name, i) =>
          [
            { name, id: i },
            {
              packets: BigInt(i + 1),
              bytes: 2n ** 40n,
              last_len: i,
              slots: [i, 0, 1, 0, 0, 0, 0, 2],
            },
          ] as const,
      ),
    );
    const registry = new Registry();
    registerMaps(registry, [{ decl, map: map as KeyedMap<unknown, unknown> }], { maxSeries: 3 });
    const own = new Gauge({
      name: 'app_up',
      help: 'An own metric, with "quotes" \\ and more.',
      registers: [registry],
      labelNames: ['v'],
    });
    own.set({ v: 'a"b' }, 1);
    const text = await renderMetrics(registry);
    expect(text).toBe(await registry.metrics());
    // What is compared holds what matters: escaped labels, buckets, the folded rest, the own metric.
    const families = parsePrometheus(text);
    expect(
      families.get('bpfmaps_t_exp_text_packets_total')!.samples.map((s) => s.labels.name),
    ).toEqual(['ünï', 'new\nline', 'other']);
    expect(families.get('bpfmaps_t_exp_text_slots')!.type).toBe('histogram');
    expect(families.get('app_up')!.samples[0]!.labels.v).toBe('a"b');
    // Twice in a row (the buffer is reused) and after the map changed.
    map.set(
      { name: 'quo"te', id: 1 },
      { packets: 100n, bytes: 0n, last_len: 0, slots: [0, 0, 0, 0, 0, 0, 0, 0] },
    );
    // A read serves the metrics asked for in one turn; the next scrape comes in a later one.
    await new Promise((resolve) => setImmediate(resolve));
    const again = await renderMetrics(registry);
    expect(again).toBe(await registry.metrics());
    expect(again).not.toBe(text);
    expect(
      parsePrometheus(again).get('bpfmaps_t_exp_text_packets_total')!.samples[0]!.labels.name,
    ).toBe('quo"te');
  });

  it('a key whose labels read other joins the folded rest: no label set is written twice', async () => {
    const Name = struct('Name', { comm: chars(8) });
    const decl = hash('t_exp_other', {
      key: Name,
      value: u64.counter(),
      maxEntries: 8,
      export: true,
    });
    const map = mapFromSchema(decl) as unknown as KeyedMap<{ comm: string }, bigint>;
    closers.push(() => map.close());
    map.setMany([
      [{ comm: 'a' }, 100n],
      [{ comm: 'other' }, 50n],
      [{ comm: 'b' }, 1n],
      [{ comm: 'c' }, 2n],
    ]);
    const registry = new Registry();
    registerMaps(registry, [{ decl, map: map as KeyedMap<unknown, unknown> }], { maxSeries: 3 });
    const text = await renderMetrics(registry);
    expect(text).toBe(await registry.metrics());
    const samples = parsePrometheus(text).get('bpfmaps_t_exp_other_value_total')!.samples;
    expect(samples.map((x) => [x.labels.comm, x.value])).toEqual([
      ['a', 100],
      ['other', 53],
    ]);
    // Under the cap, the real key is a series of its own.
    const all = new Registry();
    registerMaps(all, [{ decl, map: map as KeyedMap<unknown, unknown> }]);
    const under = parsePrometheus(await renderMetrics(all)).get('bpfmaps_t_exp_other_value_total')!;
    expect(under.samples.find((x) => x.labels.comm === 'other')!.value).toBe(50);
  });

  it('refuses names Prometheus would not take, and metric names that clash, before registering any', async () => {
    const Key = struct('Key', { a: u32, b: u32 });
    const map = (decl: ReturnType<typeof hash>) => {
      const m = mapFromSchema(decl) as unknown as KeyedMap<unknown, unknown>;
      closers.push(() => m.close());
      return { decl, map: m };
    };
    const plain = map(hash('t_exp_names', { key: Key, value: u64.counter(), maxEntries: 4 }));
    const clash = map(
      hash('t_exp_clash', {
        key: Key,
        value: struct('Clash', { total: u64.counter(), total_total: u64 }),
        maxEntries: 4,
      }),
    );
    const cases: [() => unknown, string][] = [
      [
        () => registerMaps(new Registry(), [plain], { prefix: 'a-b' }),
        'prefix "a-b" cannot start a Prometheus metric name',
      ],
      [
        () => registerMaps(new Registry(), [plain], { labels: { a: '1x' } }),
        'label "1x" is no Prometheus label name',
      ],
      [
        () => registerMaps(new Registry(), [plain], { labels: { a: '__name__' } }),
        'label "__name__" is no Prometheus label name',
      ],
      [
        () => registerMaps(new Registry(), [plain], { labels: { a: 'b' } }),
        'two key fields would both be labelled b',
      ],
      [
        () => registerMaps(new Registry(), [clash]),
        'fields total and total_total would both be the metric t_exp_clash_total_total',
      ],
      [
        () => registerMaps(new Registry(), [plain, plain]),
        'its metric bpfmaps_t_exp_names_value_total is already a metric of map t_exp_names',
      ],
    ];
    cases.push([
      () => registerMaps(new Registry(), [plain], { labels: { nosuch: 'x' } }),
      'label nosuch: no map exported has key field nosuch (key fields: t_exp_names: a, b)',
    ]);
    for (const [run, says] of cases) {
      const e = (() => {
        try {
          run();
        } catch (error) {
          return error as Error & { code?: string };
        }
        throw new Error(`no error for: ${says}`);
      })();
      expect(e.code).toBe('INVALID');
      expect(e.message).toContain(says);
    }
    expect(() => registerMaps(new Registry(), [{ decl: clash.decl, map: plain.map }])).toThrow(
      'export t_exp_clash: the map given for it has keys of 8 and values of 8 bytes, the declaration 8 and 16',
    );
    const registry = new Registry();
    registerMaps(registry, [plain]);
    expect(() => registerMaps(registry, [plain])).toThrow('is already in the registry');
    expect(registry.getMetricsAsArray()).toHaveLength(2);
    // Other maps later, on the same registry: their aggregated counts join the one gauge.
    const later = map(hash('t_exp_later', { key: Key, value: u64.counter(), maxEntries: 4 }));
    registerMaps(registry, [later]);
    expect(registry.getMetricsAsArray()).toHaveLength(3);
    const text = await renderMetrics(registry);
    expect(text).toBe(await registry.metrics());
    expect(
      parsePrometheus(text)
        .get('bpfmaps_exporter_series_aggregated')!
        .samples.map((x) => x.labels.map),
    ).toEqual(['t_exp_names', 't_exp_later']);
  });

  it('refuses what has no entries, and a cap that is no positive whole number', () => {
    const Key = struct('Key', { id: u32 });
    const decl = hash('t_exp_bad', { key: Key, value: u64, maxEntries: 4 });
    const map = mapFromSchema(decl) as unknown as KeyedMap<unknown, unknown>;
    closers.push(() => map.close());
    expect(() => registerMaps(new Registry(), [{ decl, map }], { maxSeries: 0 })).toThrow(
      'export t_exp_bad: maxSeries must be a whole number of at least 1, received 0',
    );
  });
});
