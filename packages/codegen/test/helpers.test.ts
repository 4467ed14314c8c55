/**
 * The kernel helpers each map kind's header offers: exactly the expected set
 * per kind, and a BPF program that calls every one of them passes the
 * verifier (a helper the kernel refuses for its map type fails to load).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpfObject } from '@bpfmaps/runtime';
import { compileBpf, describeWith } from '@bpfmaps/testing';
import { describe, expect, it } from 'vitest';
import { fixtures } from './fixtures.js';

const dir = fixtures.find((f) => f.name === 'every-kind')!.dir;
const header = () => readFileSync(join(dir, 'maps.h'), 'utf8');

interface Helper {
  ret: string;
  name: string;
  params: { type: string; name: string }[];
}

/** Every `static __always_inline RET\nNAME(PARAMS)` in the header. */
function helpers(text: string): Helper[] {
  return [...text.matchAll(/^static __always_inline (.+?)\n(\w+)\((.*)\)$/gm)].map((m) => ({
    ret: m[1]!.trim(),
    name: m[2]!,
    params: (m[3] === 'void' ? [] : m[3]!.split(', ')).map((p) => {
      const at = /^(.*?)(\w+)$/.exec(p)!;
      return { type: at[1]!.trim(), name: at[2]! };
    }),
  }));
}

// Tests may switch on kinds: this is the independent statement of what each kind offers.
const EXPECTED: Record<string, string[]> = {
  h: ['lookup', 'update', 'delete', 'lookup_or_init', 'add_packets', 'add_bytes'],
  lru: ['lookup', 'update', 'delete', 'lookup_or_init', 'add_packets', 'add_bytes'],
  pch: ['lookup', 'update', 'delete', 'lookup_or_init', 'add_packets', 'add_bytes'],
  lpch: ['lookup', 'update', 'delete', 'lookup_or_init', 'add_packets', 'add_bytes'],
  arr: ['lookup', 'update', 'add_packets', 'add_bytes'],
  pca: ['lookup', 'update', 'add_packets', 'add_bytes'],
  lpm: ['lookup', 'update', 'delete', 'add_packets', 'add_bytes'],
  q: ['push', 'pop', 'peek'],
  st: ['push', 'pop', 'peek'],
  bloom: ['push', 'peek'],
  jumps: ['tail_call'],
  aom: ['lookup', 'lookup_inner', 'inner_add_packets', 'inner_add_bytes'],
  hom: ['lookup', 'lookup_inner', 'inner_add_packets', 'inner_add_bytes'],
  hits: ['lookup', 'update', 'delete', 'lookup_or_init', 'add'],
  pc_stats: ['lookup', 'update', 'add'],
  rb: [
    'count_drop',
    'reserve_open_event',
    'reserve_close_event',
    'submit',
    'discard',
    'output_open_event',
    'output_tail_open_event',
    'output_close_event',
  ],
  perf: ['count_drop', 'output', 'output_tail'],
};

describe('kernel helpers per map kind', () => {
  it('the header offers exactly the helpers each kind supports', () => {
    const offered: Record<string, string[]> = {};
    for (const { name } of helpers(header())) {
      const map = Object.keys(EXPECTED).find(
        (m) => name.startsWith(`${m}_`) && EXPECTED[m]!.includes(name.slice(m.length + 1)),
      );
      expect(map, `${name} belongs to no map`).toBeDefined();
      (offered[map!] ??= []).push(name.slice(map!.length + 1));
    }
    expect(offered).toEqual(EXPECTED);
  });

  it('per-CPU counters add plainly, shared ones atomically', () => {
    const body = (name: string) =>
      new RegExp(`\\n${name}\\(.*\\)\\n\\{\\n(.*)\\n\\}`).exec(header())![1]!;
    expect(body('pch_add_packets')).toBe('\tvalue->packets += n;');
    expect(body('pca_add_bytes')).toBe('\tvalue->bytes += n;');
    expect(body('h_add_packets')).toBe('\t__sync_fetch_and_add(&value->packets, n);');
    expect(body('arr_add_bytes')).toBe('\t__sync_fetch_and_add(&value->bytes, n);');
    expect(body('hits_add')).toBe('\t__sync_fetch_and_add(value, n);');
    expect(body('pc_stats_add')).toBe('\t*value += n;');
  });
});

/**
 * A program that calls `helper` with zeroed arguments (the verifier checks
 * types and map kinds, not values). A reserved event must be submitted or
 * discarded: each reserve calls both, on two paths, and they are not called
 * alone.
 */
function call(helper: Helper, i: number): string {
  const ring = /^(\w+)_reserve\w*$/.exec(helper.name)?.[1];
  if (ring) {
    return [
      '\t{',
      `\t\t${helper.ret}e${i} = ${helper.name}();`,
      `\t\tif (e${i} && (bpf_get_prandom_u32() & 1))`,
      `\t\t\t${ring}_discard(e${i});`,
      `\t\telse if (e${i})`,
      `\t\t\t${ring}_submit(e${i});`,
      '\t}',
    ].join('\n');
  }
  if (/_(submit|discard)$/.test(helper.name)) return '';
  const locals: string[] = [];
  const args = helper.params.map((p, j) => {
    if (p.type === 'void *' && p.name === 'ctx') return 'ctx';
    if (!p.type.endsWith('*')) return '0';
    const type = p.type.replace(/^const /, '').replace(/\s*\*$/, '');
    locals.push(`${type} a${i}_${j};`, `__builtin_memset(&a${i}_${j}, 0, sizeof(a${i}_${j}));`);
    return `&a${i}_${j}`;
  });
  const invoke = `${helper.name}(${args.join(', ')})`;
  return [
    '\t{',
    ...locals.map((l) => `\t\t${l}`),
    // r stays 0 or 1: the verifier's states on both paths then merge.
    helper.ret === 'void' ? `\t\t${invoke};` : `\t\tif (${invoke})\n\t\t\tr = 1;`,
    '\t}',
  ].join('\n');
}

describeWith(
  ['clang', 'libbpf-headers', 'bpf'],
  'every helper of every kind passes the verifier',
  () => {
    it('loads a program that calls them all', () => {
      const all = helpers(header());
      expect(all.length).toBeGreaterThan(40);
      const source = [
        '#include "maps.h"',
        '',
        'SEC("xdp")',
        'int every_helper(struct xdp_md *ctx)',
        '{',
        '\tint r = 0;',
        '',
        ...all.map(call),
        '\treturn r ? XDP_DROP : XDP_PASS;',
        '}',
        '',
        'char LICENSE[] SEC("license") = "GPL";',
      ].join('\n');
      const object = compileBpf(source, { includes: [dir] });
      using obj = BpfObject.load(object);
      expect(obj.programNames()).toEqual(['every_helper']);
    });
  },
);
