/**
 * XDP, TC and cgroup programs attached for real: a veth pair whose far end
 * lives in a network namespace the test makes, UDP traffic through it, a
 * child process in a cgroup the test makes. Programs count what they see
 * and drop it when told to; the drop is seen as traffic that never arrives.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { array, u32, u64 } from '@bpfmaps/schema';
import { compileBpf, describeWith } from '@bpfmaps/testing';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { BpfObject, Link, mapTypeOf } from '../src/index.js';
import { Handles, thrown } from './helpers.js';
import { received, sendFromPeer, sendToPeer, vethPair, type VethPair } from './netns.js';

const handles = new Handles();
afterEach(() => handles.closeAll());

const IN_PORT = 47301;
const OUT_PORT = 47302;
const SLOT = { xdp: 0, tcIn: 1, tcOut: 2, sock: 3 };

const NET = `
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 8); __type(key, __u32); __type(value, __u64); } counts SEC(".maps");
/* verdict[0]: 1 drops what the programs count. */
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } verdict SEC(".maps");

static __always_inline void add(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&counts, &slot);
	if (c)
		__sync_fetch_and_add(c, 1);
}

static __always_inline int dropping(void)
{
	__u32 zero = 0, *v = bpf_map_lookup_elem(&verdict, &zero);
	return v && *v;
}

/* The UDP destination port of an IPv4 frame, or 0. */
static __always_inline __u16 udp_port(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	if (ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return 0;
	return bpf_ntohs(udp->dest);
}

SEC("xdp")
int count_xdp(struct xdp_md *ctx)
{
	if (udp_port((void *)(long)ctx->data, (void *)(long)ctx->data_end) != ${IN_PORT})
		return XDP_PASS;
	add(${SLOT.xdp});
	return dropping() ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int count_tc(struct __sk_buff *skb)
{
	__u16 port = udp_port((void *)(long)skb->data, (void *)(long)skb->data_end);
	if (port != ${IN_PORT} && port != ${OUT_PORT})
		return TC_ACT_OK;
	add(port == ${IN_PORT} ? ${SLOT.tcIn} : ${SLOT.tcOut});
	return dropping() ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("cgroup/sock_create")
int count_sock(struct bpf_sock *sk)
{
	add(${SLOT.sock});
	return dropping() ? 0 : 1;
}

SEC("tp/raw_syscalls/sys_enter")
int not_net(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

const countsMap = mapTypeOf(array('counts', { value: u64, maxEntries: 8 }));
const verdictMap = mapTypeOf(array('verdict', { value: u32, maxEntries: 1 }));

let object: string;
beforeAll(() => {
  object = compileBpf(NET, { args: ['-Wno-unused-parameter'] });
});

function load() {
  const obj = handles.add(BpfObject.load(object));
  const counts = handles.add(countsMap.open(obj.map('counts')));
  const verdict = handles.add(verdictMap.open(obj.map('verdict')));
  return {
    obj,
    count: (slot: number) => Number(counts.get(slot) ?? 0n),
    drop: (yes: boolean) => verdict.set(0, yes ? 1 : 0),
  };
}

describeWith(['bpf', 'clang', 'libbpf-headers'], 'attaching to a network interface', () => {
  let pair: VethPair;
  beforeAll(() => {
    pair = vethPair('n', 1);
  });
  afterAll(() => pair?.remove());

  const fromPeer = (n: number) => received(pair, IN_PORT, () => sendFromPeer(pair, IN_PORT, n));

  it('XDP counts the frames sent through the veth, drops them when told, and stops at close', async () => {
    const { obj, count, drop } = load();
    const link = obj.program('count_xdp').attachXdp(pair.host);
    expect(link.description).toBe(`program count_xdp -> XDP on ${pair.host}`);
    expect(link.info().type).toBe('xdp');
    expect(await fromPeer(5)).toBe(5);
    expect(count(SLOT.xdp)).toBe(5);
    drop(true);
    expect(await fromPeer(5)).toBe(0); // XDP_DROP: nothing arrives
    expect(count(SLOT.xdp)).toBe(10);
    link.close();
    expect(await fromPeer(5)).toBe(5); // still told to drop, but detached
    expect(count(SLOT.xdp)).toBe(10);
  });

  it('XDP in generic mode, by ifindex; a second program on the same interface is EXISTS', async () => {
    const { obj, count } = load();
    const ifindex = Number(readFileSync(`/sys/class/net/${pair.host}/ifindex`, 'utf8'));
    const prog = obj.program('count_xdp');
    const link = handles.add(prog.attachXdp(ifindex, { mode: 'generic' }));
    expect(link.description).toBe(`program count_xdp -> XDP on ifindex ${ifindex} (generic)`);
    expect(await fromPeer(3)).toBe(3);
    expect(count(SLOT.xdp)).toBe(3);
    const again = thrown(() => prog.attachXdp(pair.host));
    expect(again.code).toBe('EXISTS');
    expect(again.message).toContain(`${pair.host} already has an XDP program`);
  });

  it('XDP and TC failures name the interface, the mode or the program type', () => {
    const { obj } = load();
    const xdp = obj.program('count_xdp');
    const noName = thrown(() => xdp.attachXdp('bpfmaps-none'));
    expect([noName.code, noName.errno]).toEqual(['NOT_FOUND', 19]);
    expect(noName.message).toBe(
      'attach program count_xdp to XDP on bpfmaps-none: ENODEV (errno 19): this network namespace has no interface bpfmaps-none (ip link lists them)',
    );
    const noIndex = thrown(() => xdp.attachXdp(999_999));
    expect([noIndex.code, noIndex.errno]).toEqual(['NOT_FOUND', 6]);
    expect(noIndex.message).toContain('this network namespace has no interface ifindex 999999');
    const badMode = thrown(() => xdp.attachXdp(pair.host, { mode: 'fast' as never }));
    expect(badMode.message).toContain(
      "unknown XDP mode fast: use 'native', 'generic' or 'offload'",
    );
    const tc = obj.program('count_tc');
    expect(thrown(() => tc.attachTc('bpfmaps-none', 'ingress')).code).toBe('NOT_FOUND');
    expect(thrown(() => tc.attachTc(pair.host, 'sideways' as never)).message).toContain(
      "the direction is 'ingress' or 'egress'",
    );
    const wrong = thrown(() => obj.program('not_net').attachXdp(pair.host));
    expect(wrong.message).toContain(
      'not_net is a program of type tracepoint (SEC("tp/raw_syscalls/sys_enter")), and XDP on an interface takes SEC("xdp") programs; attach it with attachTracepoint(category, name)',
    );
    const asTc = thrown(() => xdp.attachTc(pair.host, 'ingress'));
    expect(asTc.message).toContain('attach it with attachXdp(interface, { mode })');
  });

  it('TC through tcx links: ingress and egress count and drop; the link pins', async () => {
    const { obj, count, drop } = load();
    const prog = obj.program('count_tc');
    const ingress = handles.add(prog.attachTc(pair.host, 'ingress'));
    const egress = handles.add(prog.attachTc(pair.host, 'egress'));
    expect(ingress.description).toBe(`program count_tc -> TC ingress on ${pair.host} (tcx)`);
    expect(ingress.info().type).toBe('tcx');
    expect(await fromPeer(4)).toBe(4);
    expect(count(SLOT.tcIn)).toBe(4);
    await sendToPeer(pair, OUT_PORT, 3);
    expect(count(SLOT.tcOut)).toBe(3);
    drop(true);
    expect(await fromPeer(4)).toBe(0);
    expect(count(SLOT.tcIn)).toBe(8);
    drop(false);
    egress.close();
    // Pinned, the link outlives its handle; unpinned and closed, it detaches.
    const path = `/sys/fs/bpf/bpfmaps-tcx-${process.pid}`;
    try {
      ingress.pin(path);
      ingress.close();
      expect(await fromPeer(2)).toBe(2);
      expect(count(SLOT.tcIn)).toBe(10);
      const reopened = Link.openPinned(path);
      expect(reopened.info().type).toBe('tcx');
      reopened.unpin();
      reopened.close();
    } finally {
      rmSync(path, { force: true });
    }
    expect(await fromPeer(2)).toBe(2);
    expect(count(SLOT.tcIn)).toBe(10);
  });

  it('TC through a clsact filter: counts and drops, detaches at close, and refuses to pin', async () => {
    const { obj, count, drop } = load();
    const link = obj.program('count_tc').attachTc(pair.host, 'ingress', { mode: 'clsact' });
    expect(link.description).toBe(`program count_tc -> TC ingress on ${pair.host} (clsact)`);
    expect(await fromPeer(3)).toBe(3);
    expect(count(SLOT.tcIn)).toBe(3);
    drop(true);
    expect(await fromPeer(3)).toBe(0);
    const pin = thrown(() => link.pin('/sys/fs/bpf/bpfmaps-clsact'));
    expect(pin.code).toBe('NOT_SUPPORTED');
    expect(pin.message).toContain(
      'a TC filter on a clsact qdisc is not a bpf link and cannot be pinned',
    );
    link.close();
    expect(await fromPeer(3)).toBe(3);
    expect(count(SLOT.tcIn)).toBe(6);
    link.close();
  });
});

/** Where cgroup v2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified beside v1). */
function cgroup2(): string | undefined {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .find((f) => f[2] === 'cgroup2')?.[1];
}

describeWith(['bpf', 'clang', 'libbpf-headers'], 'attaching to a cgroup', () => {
  let dir: string;
  beforeAll(() => {
    const root = cgroup2();
    if (!root) throw new Error('cgroup v2 is not mounted (mount -t cgroup2 none /sys/fs/cgroup)');
    dir = join(root, `bpfmaps-test-${process.pid}`);
    mkdirSync(dir, { recursive: true });
  });
  afterAll(() => {
    if (dir) rmdirSync(dir);
  });

  /** A shell in the cgroup opens one UDP socket: its exit status and what it said. */
  function openSocketInCgroup(): { status: number | null; stderr: string } {
    const r = spawnSync(
      'bash',
      ['-c', `echo $$ > ${dir}/cgroup.procs && exec 3<>/dev/udp/127.0.0.1/9`],
      { encoding: 'utf8' },
    );
    return { status: r.status, stderr: r.stderr };
  }

  it('cgroup/sock_create sees the sockets of a process in the cgroup and refuses them when told', () => {
    const { obj, count, drop } = load();
    const link = obj.program('count_sock').attachCgroup(dir);
    expect(link.description).toBe(`program count_sock -> cgroup ${dir}`);
    expect(link.info().type).toBe('cgroup');
    expect(openSocketInCgroup().status).toBe(0);
    const seen = count(SLOT.sock);
    expect(seen).toBeGreaterThanOrEqual(1);
    drop(true);
    const refused = openSocketInCgroup();
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('Operation not permitted');
    link.close();
    const after = count(SLOT.sock);
    expect(openSocketInCgroup().status).toBe(0);
    expect(count(SLOT.sock)).toBe(after);
  });

  it('a path that is not a cgroup v2 directory is refused, naming it', () => {
    const { obj } = load();
    const prog = obj.program('count_sock');
    const missing = thrown(() => prog.attachCgroup(`${dir}/nope`));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain(`there is no cgroup ${dir}/nope (create it with mkdir under`);
    const file = thrown(() => prog.attachCgroup(`${dir}/cgroup.procs`));
    expect(file.message).toContain(
      'is not a directory; a cgroup is a directory of a cgroup v2 mount',
    );
    const v1 = thrown(() => prog.attachCgroup('/proc'));
    expect(v1.code).toBe('INVALID');
    expect(v1.message).toContain(
      '/proc is not in a cgroup v2 hierarchy, and only cgroup v2 takes BPF programs; cgroup v2 is mounted at',
    );
    const wrong = thrown(() => obj.program('count_xdp').attachCgroup(dir));
    expect(wrong.message).toContain('attach it with attachXdp(interface, { mode })');
  });
});
