/**
 * What the errors say when a capability, a file mode or a limit stands in
 * the way: each case runs in a child process with fewer privileges (setpriv)
 * or a lower limit (prlimit), and checks the message says what happened.
 */
import { describeWith } from '@bpfmaps/testing';
import { expect, it } from 'vitest';
import { runChild } from './helpers.js';

/** Root without any capability. */
const NO_CAPS = ['setpriv', '--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all'];
/** Root with CAP_BPF alone: what it runs is bounded to that one capability. */
const ONLY_CAP_BPF = [
  'setpriv',
  '--inh-caps=-all',
  '--ambient-caps=-all',
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
