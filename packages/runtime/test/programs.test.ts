import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { hash, struct, u32, u64 } from '@bpfmaps/schema';
import { compileBpf, describeWith } from '@bpfmaps/testing';
import { afterEach, expect, it } from 'vitest';
import { BpfObject, HashMap, openMap, referenceCodec } from '../src/index.js';
import { Handles, thrown } from './helpers.js';

const handles = new Handles();
afterEach(() => handles.closeAll());

const COUNTER = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct stats { __u64 packets; __u64 bytes; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct stats);
} by_len SEC(".maps");

SEC("xdp")
int count(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	struct stats *s = bpf_map_lookup_elem(&by_len, &len);
	if (!s) {
		struct stats zero = {};
		bpf_map_update_elem(&by_len, &len, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&by_len, &len);
		if (!s)
			return XDP_ABORTED;
	}
	__sync_fetch_and_add(&s->packets, 1);
	__sync_fetch_and_add(&s->bytes, len);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

const Stats = struct('Stats', { packets: u64, bytes: u64 });
const spec = hash('by_len', { key: u32, value: Stats, maxEntries: 64 }).spec;

describeWith(['bpf', 'clang', 'libbpf-headers'], 'kernel programs and maps together', () => {
  const object = compileBpf(COUNTER);

  it('a kernel program increments while TS iterates and reads: no crash, exact totals', async () => {
    const obj = handles.add(BpfObject.load(object));
    const map = handles.add(
      openMap(HashMap, obj.map('by_len'), spec, referenceCodec(u32), referenceCodec(Stats)),
    );
    const prog = obj.program('count');
    const lengths = [60, 64, 128, 1500];
    const rounds = 40;
    const repeat = 2000;
    // The worker shares this process's fd table: it runs the program by fd, in parallel with the reads below.
    const worker = new Worker(
      `import { Program } from '@bpfmaps/runtime';
       import { workerData, parentPort } from 'node:worker_threads';
       const program = Program.fromFd('count', workerData.fd);
       for (let r = 0; r < workerData.rounds; r++)
         for (const len of workerData.lengths) program.testRun({ data: new Uint8Array(len), repeat: workerData.repeat });
       parentPort.postMessage('done');`,
      { eval: true, workerData: { fd: prog.fd, lengths, rounds, repeat } },
    );
    const done = new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    let finished = false;
    void done.then(() => (finished = true));
    // A lookup copies the value while the kernel may be adding to it: fields are
    // not read at one instant, but each one only ever grows.
    const last = new Map<number, { packets: bigint; bytes: bigint }>();
    let reads = 0;
    try {
      while (!finished) {
        for (const [len, stats] of map.entries()) {
          const before = last.get(len) ?? { packets: 0n, bytes: 0n };
          expect(stats.packets >= before.packets && stats.bytes >= before.bytes).toBe(true);
          last.set(len, stats);
        }
        reads++;
        await new Promise((r) => setImmediate(r));
      }
      await done;
    } finally {
      await worker.terminate();
    }
    expect(reads).toBeGreaterThan(1);
    for (const len of lengths)
      expect(map.get(len)).toEqual({
        packets: BigInt(rounds * repeat),
        bytes: BigInt(rounds * repeat * len),
      });
  });

  it('opening a map whose BTF differs field by field lists every difference', () => {
    const obj = handles.add(BpfObject.load(object));
    const Swapped = struct('Stats', { bytes: u64, packets: u64 });
    const Renamed = struct('Stats', { packets: u64, octets: u64 });
    const e = thrown(() =>
      openMap(
        HashMap,
        obj.map('by_len'),
        { ...spec, valueType: Swapped.typeSpec() },
        referenceCodec(u32),
        referenceCodec(Swapped),
      ),
    );
    expect(e.code).toBe('INCOMPATIBLE');
    expect(e.message).toContain('value.bytes: schema says offset 0, BTF says offset 8');
    expect(e.message).toContain('value.packets: schema says offset 8, BTF says offset 0');
    const r = thrown(() =>
      openMap(
        HashMap,
        obj.map('by_len'),
        { ...spec, valueType: Renamed.typeSpec() },
        referenceCodec(u32),
        referenceCodec(Renamed),
      ),
    );
    expect(r.message).toContain('value.octets: missing from the BTF');
    expect(r.message).toContain('value.bytes: in the BTF but not in the schema');
  });
});

const TRACER = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

SEC("tracepoint/raw_syscalls/sys_enter")
int on_enter(void *ctx __attribute__((unused)))
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *n = bpf_map_lookup_elem(&calls, &tgid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&calls, &tgid, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

describeWith(['bpf', 'clang', 'libbpf-headers', 'tracefs'], 'tracepoint programs', () => {
  it("attach to raw_syscalls:sys_enter and count this process's syscalls; detach stops counting", () => {
    const obj = handles.add(BpfObject.load(compileBpf(TRACER)));
    const calls = handles.add(
      openMap(
        HashMap,
        obj.map('calls'),
        hash('calls', { key: u32, value: u64, maxEntries: 1024 }).spec,
        referenceCodec(u32),
        referenceCodec(u64),
      ),
    );
    const link = obj.program('on_enter').attachTracepoint('raw_syscalls', 'sys_enter');
    for (let i = 0; i < 200; i++) statSync('/');
    const seen = calls.get(process.pid) ?? 0n;
    expect(seen).toBeGreaterThanOrEqual(200n);
    link.close();
    const after = calls.get(process.pid) ?? 0n;
    for (let i = 0; i < 200; i++) statSync('/');
    expect(calls.get(process.pid)).toBe(after);
  });

  it('a missing tracepoint is a clear error', () => {
    const obj = handles.add(BpfObject.load(compileBpf(TRACER)));
    expect(() => obj.program('on_enter').attachTracepoint('nope', 'nothing')).toThrow(
      /attach program on_enter to tracepoint nope:nothing: ENOENT/,
    );
  });
});

describeWith(['bpf', 'clang', 'libbpf-headers'], "'lock' on a map a BPF object defines", () => {
  const object = compileBpf(COUNTER);

  it('is refused before the syscall when the spec says the value has no spinLock, left to the kernel when it does not say', () => {
    const obj = handles.add(BpfObject.load(object));
    const map = handles.add(
      openMap(HashMap, obj.map('by_len'), spec, referenceCodec(u32), referenceCodec(Stats)),
    );
    const refused = thrown(() => map.set(60, { packets: 1n, bytes: 1n }, 'lock'));
    expect([refused.code, refused.errno]).toEqual(['INVALID', undefined]);
    expect(refused.message).toContain('set by_len: the value has no spinLock');
    // A hand-written spec that does not say: the kernel answers (the map has BTF, so this is its verdict).
    const { spinLock: _, ...handWritten } = spec;
    const plain = handles.add(
      openMap(HashMap, obj.map('by_len'), handWritten, referenceCodec(u32), referenceCodec(Stats)),
    );
    const kernel = thrown(() => plain.set(60, { packets: 1n, bytes: 1n }, 'lock'));
    expect([kernel.code, kernel.errno]).toEqual(['INVALID', 22]);
    expect(map.get(60)).toBeUndefined();
  });
});

describeWith(['bpf', 'setpriv'], 'without CAP_BPF', () => {
  it('EPERM becomes PERMISSION, naming the capability', () => {
    const script = `import { mapFromSchema } from '@bpfmaps/runtime';
      import { hash, u32 } from '@bpfmaps/schema';
      try { mapFromSchema(hash('t_eperm', { key: u32, value: u32, maxEntries: 1 })); console.log('created'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, errno: e.errno, message: e.message })); }`;
    const r = spawnSync(
      'setpriv',
      [
        '--inh-caps=-all',
        '--ambient-caps=-all',
        '--bounding-set=-all',
        process.execPath,
        '--input-type=module',
        '-e',
        script,
      ],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { code: string; errno: number; message: string };
    expect(out.code).toBe('PERMISSION');
    expect(out.errno).toBe(1);
    expect(out.message).toBe(
      'create map t_eperm: EPERM (errno 1): bpf(2) needs CAP_BPF (or CAP_SYS_ADMIN on kernels before 5.8); run as root or grant the capability',
    );
  });
});

const LOCKED = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct locked { struct bpf_spin_lock lock; __u32 pad; __u64 n; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct locked);
} guarded SEC(".maps");

SEC("xdp")
int bump(struct xdp_md *ctx __attribute__((unused)))
{
	__u32 key = 1;
	struct locked *v = bpf_map_lookup_elem(&guarded, &key);
	if (!v)
		return XDP_ABORTED;
	bpf_spin_lock(&v->lock);
	v->n += 10;
	bpf_spin_unlock(&v->lock);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

describeWith(['bpf', 'clang', 'libbpf-headers'], 'values guarded by a bpf_spin_lock', () => {
  it('update and set with lock read and write under the lock the kernel program takes', async () => {
    const { spinLock, pad } = await import('@bpfmaps/schema');
    const Locked = struct('Locked', { lock: spinLock, pad: pad(4), n: u64 });
    const obj = handles.add(BpfObject.load(compileBpf(LOCKED)));
    const spec = hash('guarded', { key: u32, value: Locked, maxEntries: 4 }).spec;
    const map = handles.add(
      openMap(HashMap, obj.map('guarded'), spec, referenceCodec(u32), referenceCodec(Locked)),
    );
    map.set(1, { n: 5n });
    map.set(1, { n: 7n }, 'lock');
    obj.program('bump').testRun({ data: new Uint8Array(64), repeat: 3 });
    expect(map.update(1, (cur) => ({ n: cur!.n + 1n }), { lock: true })).toEqual({ n: 38n });
    expect(map.get(1)).toEqual({ n: 38n });
  });
});
