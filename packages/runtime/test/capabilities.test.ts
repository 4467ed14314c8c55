/**
 * What the errors say when a capability, a file mode or a limit stands in
 * the way: each case runs in a child process with fewer privileges (setpriv)
 * or a lower limit (prlimit), and checks the message says what happened.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { hash, u32 } from '@bpfmaps/schema';
import { compileBpf, describeWith, tempDir } from '@bpfmaps/testing';
import { afterEach, expect, it } from 'vitest';
import { attachDenial, loadDenial, memlockMatters, type Capability } from '../src/capabilities.js';
import { mapFromSchema } from '../src/index.js';
import { Handles, runChild } from './helpers.js';

const handles = new Handles();
afterEach(() => handles.closeAll());

/** Root without any capability. */
const NO_CAPS = ['setpriv', '--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all'];
/** Root with CAP_BPF alone: what it runs is bounded to that one capability. */
const ONLY_CAP_BPF = [
  'setpriv',
  '--inh-caps=-all',
  '--ambient-caps=-all',
  '--bounding-set=-all,+bpf',
];
/** An unprivileged user (nobody) that keeps CAP_BPF across the change of uid (ambient). */
const NOBODY_WITH_CAP_BPF = [
  'setpriv',
  '--reuid=65534',
  '--regid=65534',
  '--clear-groups',
  '--inh-caps=-all,+bpf',
  '--ambient-caps=-all,+bpf',
  '--bounding-set=-all,+bpf',
];

describeWith(['bpf', 'setpriv'], 'opening by id with CAP_BPF but not CAP_SYS_ADMIN', () => {
  it('says the kernel wants CAP_SYS_ADMIN for BPF_MAP_GET_FD_BY_ID, on every path that opens by id', () => {
    // Creating maps and storing one in a map of maps needs only CAP_BPF; opening by id needs more.
    const r = runChild(
      ONLY_CAP_BPF,
      `import { HashMap, mapFromSchema, mapTypeOf, openMapById, referenceCodec } from '@bpfmaps/runtime';
      import { arrayOfMaps, hash, hashOfMaps, u32, u64 } from '@bpfmaps/schema';
      const Inner = hash('t_inner', { key: u32, value: u64, maxEntries: 8 });
      const inner = mapFromSchema(Inner);
      const hom = mapFromSchema(hashOfMaps('t_hom', { key: u32, inner: Inner, maxEntries: 4 }));
      const aom = mapFromSchema(arrayOfMaps('t_aom', { inner: Inner, maxEntries: 4 }));
      hom.set(7, inner);
      aom.set(1, inner);
      const id = inner.raw.info.id;
      report('id', () => id);
      report('stored id', () => hom.id(7));
      report('openMapById', () => openMapById(HashMap, id, Inner.spec, referenceCodec(u32), referenceCodec(u64)));
      report('openById', () => mapTypeOf(Inner).openById(id));
      report('HashOfMaps.get', () => hom.get(7));
      report('ArrayOfMaps.get', () => aom.get(1));`,
    );
    const id = r.id!.ok as number;
    expect(r['stored id']).toEqual({ ok: id });
    const why =
      'the kernel opens maps by id (BPF_MAP_GET_FD_BY_ID) only for CAP_SYS_ADMIN, and CAP_BPF is not enough; run as root, or reach the map another way (its BPF object, a pin, the handle you stored)';
    const eperm = (message: string) => ({ code: 'PERMISSION', errno: 1, message });
    expect(r.openMapById).toEqual(
      eperm(`open map by id t_inner (id ${id}): EPERM (errno 1): ${why}`),
    );
    expect(r.openById).toEqual(r.openMapById);
    const inner = `opening the inner map t_inner (id ${id}) by id; ${why}`;
    expect(r['HashOfMaps.get']).toEqual(eperm(`get t_hom for key 7: EPERM (errno 1): ${inner}`));
    expect(r['ArrayOfMaps.get']).toEqual(eperm(`get t_aom for key 1: EPERM (errno 1): ${inner}`));
  });
});

describeWith(
  ['bpf', 'bpffs', 'setpriv'],
  'pins another user may not use, though it has CAP_BPF',
  () => {
    it("blames the file mode that refuses (the pin's or a directory's), never CAP_BPF", () => {
      // A bpf filesystem of our own, so the modes are the test's whatever /sys/fs/bpf's are.
      const base = tempDir('bpfmaps-pins-');
      chmodSync(base, 0o755);
      const fs = join(base, 'bpffs');
      mkdirSync(fs);
      execFileSync('mount', ['-t', 'bpf', 'bpf', fs]);
      try {
        const decl = hash('t_pin', { key: u32, value: u32, maxEntries: 1 });
        const map = handles.add(mapFromSchema(decl));
        map.set(0, 9);
        const dir = join(fs, 'maps');
        mkdirSync(dir, { mode: 0o755 });
        mkdirSync(join(dir, 'private', 'deeper'), { recursive: true });
        chmodSync(join(dir, 'private'), 0o700);
        for (const [pin, mode] of [
          ['locked', 0o000],
          ['readable', 0o644],
          ['private/inside', 0o666],
        ] as const) {
          map.raw.pin(join(dir, pin));
          chmodSync(join(dir, pin), mode);
        }
        map.raw.pin(join(fs, 'sticky')); // root's pin, mode 0600, in the sticky root (1777)
        const r = runChild(
          NOBODY_WITH_CAP_BPF,
          `import { mapFromSchema, mapTypeOf, RawMap } from '@bpfmaps/runtime';
        import { hash, u32 } from '@bpfmaps/schema';
        const decl = hash('t_pin', { key: u32, value: u32, maxEntries: 1 });
        const dir = ${JSON.stringify(dir)};
        report('uid', () => process.geteuid());
        report('create', () => mapFromSchema(decl).close());
        for (const pin of ['locked', 'readable', 'private/inside', 'private/deeper/pin'])
          report('open ' + pin, () => mapTypeOf(decl).openPinned(dir + '/' + pin));
        for (const pin of ['locked', 'readable']) {
          report('read ' + pin, () => {
            const map = mapTypeOf(decl).openPinned(dir + '/' + pin, { readOnly: true });
            try { return map.get(0); } finally { map.close(); }
          });
        }
        report('write through read-only', () => {
          const map = mapTypeOf(decl).openPinned(dir + '/readable', { readOnly: true });
          try { map.set(0, 1); } finally { map.close(); }
        });
        report('pin', () => mapFromSchema(decl).raw.pin(dir + '/new'));
        report('unpin', () => RawMap.unpin(dir + '/locked'));
        report('unpin sticky', () => RawMap.unpin(${JSON.stringify(join(fs, 'sticky'))}));`,
        );
        expect(r.uid).toEqual({ ok: 65534 });
        expect(r.create).toEqual({ ok: null }); // CAP_BPF is there
        const eacces = (message: string) => ({ code: 'PERMISSION', errno: 13, message });
        const opening =
          "a pin's file mode decides who may open it, not CAP_BPF: opening needs read and write permission on the pin (read alone with { readOnly: true }) and search permission on each directory above it (ls -l shows them)";
        expect(r['open locked']).toEqual(
          eacces(
            `open pinned map t_pin at ${dir}/locked: EACCES (errno 13): the pin (mode 0000, owner uid 0) does not let uid 65534 read and write it; ${opening}`,
          ),
        );
        // Readable is not enough: opening a pin asks for read and write, unless only to read.
        expect(r['open readable']).toEqual(
          eacces(
            `open pinned map t_pin at ${dir}/readable: EACCES (errno 13): the pin (mode 0644, owner uid 0) lets uid 65534 read it but not write it: open it with { readOnly: true } to read it; ${opening}`,
          ),
        );
        expect(r['read readable']).toEqual({ ok: 9 });
        expect(r['read locked']).toEqual(
          eacces(
            `open pinned map t_pin at ${dir}/locked: EACCES (errno 13): the pin (mode 0000, owner uid 0) does not let uid 65534 read it; ${opening}`,
          ),
        );
        expect(r['write through read-only']).toEqual({
          code: 'PERMISSION',
          errno: 1,
          message:
            'set t_pin for key 0: EPERM (errno 1): this handle was opened read-only ({ readOnly: true }) and the kernel refuses writes through it; to write, open the pin without readOnly (that needs write permission on the pin)',
        });
        const privateDir = `${dir}/private (mode 0700, owner uid 0) does not let uid 65534 search it`;
        expect(r['open private/inside']).toEqual(
          eacces(
            `open pinned map t_pin at ${dir}/private/inside: EACCES (errno 13): ${privateDir}; ${opening}`,
          ),
        );
        expect(r['open private/deeper/pin']).toEqual(
          eacces(
            `open pinned map t_pin at ${dir}/private/deeper/pin: EACCES (errno 13): ${privateDir}; file modes decide who may reach a pin, not CAP_BPF: each directory on the path needs search permission`,
          ),
        );
        expect(r.pin).toEqual(
          eacces(
            `pin map t_pin at ${dir}/new: EACCES (errno 13): ${dir} (mode 0755, owner uid 0) does not let uid 65534 add entries to it; file modes decide who may pin where, not CAP_BPF: pinning needs write and search permission on the directory (ls -ld shows it)`,
          ),
        );
        const unpinning =
          "file modes decide who may unpin, not CAP_BPF: unpinning needs write and search permission on the directory and, in a sticky one (such as a bpf filesystem's root, mode 1777), ownership of the pin";
        expect(r.unpin).toEqual(
          eacces(
            `unpin map ${dir}/locked: EACCES (errno 13): ${dir} (mode 0755, owner uid 0) does not let uid 65534 remove entries from it; ${unpinning}`,
          ),
        );
        expect(r['unpin sticky']).toEqual({
          code: 'PERMISSION',
          errno: 1,
          message: `unpin map ${fs}/sticky: EPERM (errno 1): ${fs} (mode 1777, owner uid 0) is sticky: only the pin's owner (uid 0) may remove it; ${unpinning}`,
        });
      } finally {
        execFileSync('umount', [fs]);
        rmSync(base, { recursive: true });
      }
    });
  },
);

const XDP = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

SEC("xdp")
int pass(struct xdp_md *ctx __attribute__((unused)))
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&seen, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

const TRACEPOINT = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tracepoint/raw_syscalls/sys_enter")
int on_enter(void *ctx __attribute__((unused)))
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

describeWith(
  ['bpf', 'setpriv', 'clang', 'libbpf-headers'],
  'loading without the capabilities',
  () => {
    const xdp = compileBpf(XDP);
    const tracepoint = compileBpf(TRACEPOINT);
    const load = (wrapper: string[], object: string) =>
      runChild(
        wrapper,
        `import { BpfObject } from '@bpfmaps/runtime';
      report('load', () => BpfObject.load(${JSON.stringify(object)}).close());`,
      ).load!;
    /** The message without libbpf's log (which follows on the next lines). */
    const said = (r: { code?: string; errno?: number; message?: string }) => ({
      ...r,
      message: r.message?.split('\n')[0],
    });
    const memlock = memlockMatters()
      ? ''
      : " (libbpf's RLIMIT_MEMLOCK advice below does not apply: kernels since 5.11 do not charge BPF memory to it)";

    it('names every capability the process lacks, and what in the object needs it', () => {
      // libbpf fails first on a trivial program of its own: the object's maps are never reached.
      expect(said(load(NO_CAPS, xdp))).toEqual({
        code: 'PERMISSION',
        errno: 1,
        message: `load object ${xdp}: EPERM (errno 1): this process lacks CAP_BPF and CAP_NET_ADMIN: loading this object needs CAP_BPF to create maps and load programs, and CAP_NET_ADMIN for its xdp program pass; run as root, or grant them (CAP_SYS_ADMIN alone also covers them)${memlock}`,
      });
      expect(said(load(ONLY_CAP_BPF, xdp)).message).toBe(
        `load object ${xdp}: EPERM (errno 1): loading program pass; this process lacks CAP_NET_ADMIN: loading this object needs CAP_NET_ADMIN for its xdp program pass; run as root, or grant it (CAP_SYS_ADMIN alone also covers it)${memlock}`,
      );
      expect(said(load(ONLY_CAP_BPF, tracepoint)).message).toBe(
        `load object ${tracepoint}: EPERM (errno 1): loading program on_enter; this process lacks CAP_PERFMON: loading this object needs CAP_PERFMON for its tracepoint program on_enter; run as root, or grant it (CAP_SYS_ADMIN alone also covers it)${memlock}`,
      );
    });

    it('an object this user may not read is blamed on file modes, not on the kernel', () => {
      // compileBpf's directory is root's, mode 0700.
      const nobody = NOBODY_WITH_CAP_BPF.filter(
        (a) => !a.includes('caps') && !a.includes('bounding'),
      );
      expect(said(load(nobody, xdp))).toEqual({
        code: 'PERMISSION',
        errno: 13,
        message: `open object ${xdp}: EACCES (errno 13): this user may not read the file (check its mode, and its directories', with ls -l)`,
      });
    });

    it('granting what the message names is enough', () => {
      const granted = (caps: string) => [...NO_CAPS.slice(0, -1), `--bounding-set=-all,${caps}`];
      expect(load(granted('+bpf,+net_admin'), xdp)).toEqual({ ok: null });
      expect(load(granted('+bpf,+perfmon'), tracepoint)).toEqual({ ok: null });
    });
  },
);

describeWith(['bpf', 'clang', 'libbpf-headers'], 'out of file descriptors', () => {
  const xdp = compileBpf(XDP);
  /** A shell lowers RLIMIT_NOFILE for the child it becomes (room for node to load its modules first). */
  const FEW_FILES = ['sh', '-c', 'ulimit -n 256 && exec "$0" "$@"'];

  it('EMFILE is SYSTEM with the hint, wherever a descriptor is taken; none is skipped silently', () => {
    const r = runChild(
      FEW_FILES,
      `import { closeSync, openSync } from 'node:fs';
      import { BpfObject, mapFromSchema, mapTypeOf } from '@bpfmaps/runtime';
      import { array, hash, u32, u64 } from '@bpfmaps/schema';
      const obj = BpfObject.load(${JSON.stringify(xdp)});
      const seen = mapTypeOf(array('seen', { value: u64, maxEntries: 1 }));
      const filler = hash('t_filler', { key: u32, value: u32, maxEntries: 1 });
      const held = [];
      report('create', () => { for (;;) held.push(mapFromSchema(filler)); });
      report('created some', () => held.length > 10);
      // Creating a map takes its BTF's descriptor for a moment: take what that left over too.
      try { for (;;) held.push({ close: ((fd) => () => closeSync(fd))(openSync('/dev/null')) }); } catch {}
      report('load', () => BpfObject.load(${JSON.stringify(xdp)}));
      // One descriptor free: the duplicate of the map's fd takes it, and reading its BTF finds none.
      held.pop().close();
      report('open from object', () => seen.open(obj.map('seen')));
      // Closing handles is the way out.
      for (let i = 0; i < 4; i++) held.pop().close();
      report('open after closing some', () => seen.open(obj.map('seen')).close());`,
    );
    const hint =
      'this process has too many open files: close handles you no longer need, or raise the limit (ulimit -n)';
    const emfile = (message: string) => ({ code: 'SYSTEM', errno: 24, message });
    expect(r['created some']).toEqual({ ok: true });
    expect(r.create).toEqual(emfile(`create map t_filler: EMFILE (errno 24): ${hint}`));
    expect({ ...r.load, message: r.load?.message?.split('\n')[0] }).toEqual(
      emfile(`open object ${xdp}: EMFILE (errno 24): ${hint}`),
    );
    expect(r['open from object']).toEqual(
      emfile(
        `open map seen from object ${xdp}: EMFILE (errno 24): reading the map's BTF to check its layout; ${hint}`,
      ),
    );
    expect(r['open after closing some']).toEqual({ ok: null });
  });

  it('running out at the first in-kernel add is SYSTEM, and does not turn the atomic path off for good', () => {
    const r = runChild(
      FEW_FILES,
      `import { closeSync, openSync } from 'node:fs';
      import { mapFromSchema, kernelOpsAvailable } from '@bpfmaps/runtime';
      import { hash, struct, u32, u64 } from '@bpfmaps/schema';
      const map = mapFromSchema(hash('t_few', { key: u32, value: struct('C', { n: u64.counter() }), maxEntries: 4 }));
      const held = [];
      try { for (;;) held.push(openSync('/dev/null')); } catch {}
      report('add', () => map.add(1, { n: 1 }));
      for (const fd of held.splice(0)) closeSync(fd);
      report('available', () => kernelOpsAvailable());
      report('add again', () => (map.add(1, { n: 1 }), String(map.get(1).n)));`,
    );
    expect(r.add?.code).toBe('SYSTEM');
    expect(r.add?.errno).toBe(24);
    expect(r.add?.message).toContain('too many open files');
    expect(r.available).toEqual({ ok: true });
    expect(r['add again']).toEqual({ ok: '1' });
  });

  it('running out while loading is SYSTEM wherever it strikes (never the verifier), and leaks nothing', () => {
    // One descriptor more each time: the first attempts fail reading the file, then making maps,
    // then loading the program (where libbpf prints a program load log), until the load succeeds.
    const r = runChild(
      FEW_FILES,
      `import { readdirSync } from 'node:fs';
      import { BpfObject, mapFromSchema } from '@bpfmaps/runtime';
      import { hash, u32 } from '@bpfmaps/schema';
      const filler = hash('t_filler', { key: u32, value: u32, maxEntries: 1 });
      const held = [];
      try { for (;;) held.push(mapFromSchema(filler)); } catch {}
      const open = () => readdirSync('/proc/self/fd').length;
      for (let free = 1; held.length > 0; free++) {
        held.pop().close();
        const before = open();
        let loaded = false;
        report('load ' + free, () => { BpfObject.load(${JSON.stringify(xdp)}).close(); loaded = true; });
        report('leaked ' + free, () => open() - before);
        if (loaded) break;
      }`,
    );
    const attempts = Object.keys(r).filter((k) => k.startsWith('load '));
    const failures = attempts.map((k) => r[k]!).filter((o) => !('ok' in o));
    expect(r[attempts.at(-1)!]).toEqual({ ok: null });
    for (const f of failures) expect([f.code, f.errno]).toEqual(['SYSTEM', 24]);
    // The program's descriptor is the last one a load takes: the attempt before success failed there.
    const last = failures.at(-1)!.message!;
    expect(last).toContain(`load object ${xdp}: EMFILE (errno 24): loading program pass; `);
    expect(last).toContain('-- BEGIN PROG LOAD LOG --');
    for (const k of Object.keys(r).filter((k) => k.startsWith('leaked ')))
      expect(r[k], k).toEqual({ ok: 0 });
  });
});

it('a load refused with every capability there says something else refused it', () => {
  const programs = [{ name: 'pass', type: 6, typeName: 'xdp' }];
  expect(loadDenial(programs, new Set(['CAP_BPF', 'CAP_NET_ADMIN']))).toMatch(
    /^this process has the capabilities loading this object needs \(CAP_BPF, CAP_NET_ADMIN\), so something else refused it: a security module or kernel lockdown/,
  );
  // CAP_SYS_ADMIN stands in for the others.
  expect(loadDenial(programs, new Set(['CAP_SYS_ADMIN']))).toMatch(/^this process has the/);
  expect(memlockMatters('5.10.0-21-amd64')).toBe(true);
  expect(memlockMatters('6.18.44')).toBe(false);
});

it('an attach refused names the capability the hook needs, or says none is missing', () => {
  expect(attachDenial('XDP on eth0', 'CAP_NET_ADMIN', new Set(['CAP_BPF']))).toBe(
    'this process lacks CAP_NET_ADMIN: attaching to XDP on eth0 needs CAP_BPF and CAP_NET_ADMIN; run as root, or grant it (CAP_SYS_ADMIN also covers it)',
  );
  expect(attachDenial('tracepoint a:b', 'CAP_PERFMON', new Set())).toContain(
    'this process lacks CAP_BPF and CAP_PERFMON: attaching to tracepoint a:b needs CAP_BPF and CAP_PERFMON',
  );
  expect(attachDenial('tracepoint a:b', 'CAP_PERFMON', new Set(['CAP_SYS_ADMIN']))).toBe(
    "attaching to tracepoint a:b needs CAP_BPF and CAP_PERFMON, which this process has, so something else refused it: a security module, kernel lockdown or the hook's own policy",
  );
});

it('a load refused for an fentry program with every capability there says this kernel refuses fentry', () => {
  const programs = [
    { name: 'on_exec', type: 26, typeName: 'tracing', section: 'tp_btf/sched_process_exec' },
    { name: 'on_open', type: 26, typeName: 'tracing', section: 'fentry/do_sys_openat2' },
  ];
  const caps = new Set<Capability>(['CAP_BPF', 'CAP_PERFMON']);
  expect(loadDenial(programs, caps, 'on_open')).toContain(
    'and this kernel still refuses fentry program on_open: it does not allow fentry/fexit (BPF trampolines) here',
  );
  // A tp_btf program refused is not a trampoline: the general word stands.
  expect(loadDenial(programs, caps, 'on_exec')).toMatch(/so something else refused it/);
});
