/**
 * Maps created from user space carry BTF built from the schema: bpftool
 * prints their fields, a later open of the pin is checked member by member,
 * and the kinds the kernel takes no BTF for are created without it.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import {
  array,
  be16,
  bits,
  bloomFilter,
  chars,
  enumType,
  hash,
  lpmTrie,
  mapFlags,
  lruHash,
  lruPercpuHash,
  percpuArray,
  percpuHash,
  queue,
  stack,
  struct,
  u16,
  u32,
  u64,
  u8,
  type MapDecl,
} from '@bpfmaps/schema';
import { describeWith } from '@bpfmaps/testing';
import { afterEach, expect, it } from 'vitest';
import { mapFromSchema, mapTypeOf } from '../src/index.js';
import { Handles, thrown } from './helpers.js';

const Proto = enumType('Proto', { TCP: 6, UDP: 17 }, { storage: u8 });
const Port = struct('Port', { number: be16, proto: Proto, flags: bits(u8, 3) });
const Value = struct('Value', { packets: u64, comm: chars(8), port: Port });
const Prefix = struct('Prefix', { prefixlen: u32, addr: u32 });

/** Every kind that takes BTF, with a struct value. */
const WITH_BTF: MapDecl[] = [
  hash('t_btf_hash', { key: u32, value: Value, maxEntries: 4 }),
  lruHash('t_btf_lru', { key: Port, value: Value, maxEntries: 4 }),
  percpuHash('t_btf_pch', { key: u32, value: Value, maxEntries: 4 }),
  lruPercpuHash('t_btf_lpch', { key: u32, value: Value, maxEntries: 4 }),
  array('t_btf_array', { value: Value, maxEntries: 4 }),
  percpuArray('t_btf_pca', { value: Value, maxEntries: 4 }),
  lpmTrie('t_btf_lpm', { key: Prefix, value: Value, maxEntries: 4, flags: mapFlags.noPrealloc }),
  bloomFilter('t_btf_bloom', { value: Value, maxEntries: 4 }),
];

const handles = new Handles();
const pin = `/sys/fs/bpf/bpfmaps-btf-${process.pid}`;
afterEach(() => {
  handles.closeAll();
  rmSync(pin, { force: true });
});

function bpftool<T>(...args: string[]): T {
  return JSON.parse(execFileSync('bpftool', ['-j', ...args], { encoding: 'utf8' })) as T;
}

describeWith(['bpf', 'bpftool', 'bpffs'], 'BTF of maps created from user space', () => {
  it.each(WITH_BTF.map((decl) => ({ name: decl.name, decl })))(
    '$name carries its key and value types',
    ({ decl }) => {
      const map = handles.add(mapFromSchema(decl));
      const info = map.raw.info;
      expect(info.btfId).toBeGreaterThan(0);
      expect(info.btfValueTypeId).toBeGreaterThan(0);
      expect(info.btfKeyTypeId > 0).toBe(decl.key !== undefined);
      // The kernel's BTF of the map is the schema's: reading it back finds no difference.
      const btf = bpftool<{ types: { name: string; kind: string }[] }>(
        'btf',
        'dump',
        'id',
        String(info.btfId),
      );
      const named = btf.types.filter((t) => t.kind === 'STRUCT').map((t) => t.name);
      expect(named).toEqual(expect.arrayContaining(['value', 'port']));
    },
  );

  it('bpftool map dump prints fields by name, decoded from the BTF', () => {
    const map = handles.add(
      mapFromSchema(hash('t_btf_dump', { key: u32, value: Value, maxEntries: 4 })),
    );
    map.set(7, { packets: 3n, comm: 'curl', port: { number: 443, proto: 'TCP', flags: 5 } });
    const dump = bpftool<{ formatted: { key: number; value: Record<string, unknown> } }[]>(
      'map',
      'dump',
      'id',
      String(map.raw.info.id),
    );
    expect(dump).toHaveLength(1);
    expect(dump[0]!.formatted.key).toBe(7);
    expect(dump[0]!.formatted.value).toMatchObject({
      packets: 3,
      comm: 'curl',
      // bpftool prints the integer it finds: __be16 443 is 0xbb01 in host order.
      port: { number: 0xbb01, proto: 6, flags: '0x5' }, // bpftool prints bitfields in hex
    });
  });

  it('a pinned map is checked member by member when opened again', () => {
    const decl = WITH_BTF[0]!;
    const map = handles.add(mapFromSchema(decl));
    map.raw.pin(pin);
    handles.add(mapTypeOf(decl).openPinned(pin)).close();
    const swapped = hash('t_btf_hash', {
      key: u32,
      value: struct('Value', {
        packets: u64,
        comm: chars(8),
        port: struct('Port', { number: u16, proto: Proto, flags: bits(u8, 3) }),
      }),
      maxEntries: 4,
    });
    const e = thrown(() => mapTypeOf(swapped).openPinned(pin));
    expect(e.code).toBe('INCOMPATIBLE');
    expect(e.message).toContain(
      'value.port.number: schema says __u16 (host byte order), BTF says __be16 (network byte order): use be16',
    );
  });

  it('kinds the kernel takes no BTF for are created without it', () => {
    for (const decl of [
      queue('t_btf_queue', { value: Value, maxEntries: 4 }),
      stack('t_btf_stack', { value: Value, maxEntries: 4 }),
    ]) {
      const map = handles.add(mapFromSchema(decl));
      expect(map.raw.info.btfId).toBe(0);
    }
  });
});
