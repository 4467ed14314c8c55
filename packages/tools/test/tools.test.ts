/**
 * The bpfmaps command against real maps: dump of a pinned map equals
 * entries() in every format, filters and limits; top draws in a terminal
 * (tmux) and leaves cleanly on Ctrl-C; ls lists pins with the schema's
 * verdict; export serves what a scrape parses; and each refuses a map whose
 * layout differs from the schema, with exit codes that say which mistake.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hash, ipv4, struct, u16, u32, u64, u8, enumType, chars } from '@bpfmaps/schema';
import { mapFromSchema, type HashMap } from '@bpfmaps/runtime';
import { describeWith, itWith } from '@bpfmaps/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { json } from '../src/rows.js';

const BIN = fileURLToPath(new URL('../bin/bpfmaps.js', import.meta.url));
// Inside the package, so the schema file resolves @bpfmaps/schema as a user's would.
const WORK = mkdtempSync(fileURLToPath(new URL('./.work-', import.meta.url)));
const PINS = `/sys/fs/bpf/bpfmaps-tools-${process.pid}`;

const SCHEMA = `import { chars, enumType, hash, ipv4, struct, u16, u32, u64, u8 } from '@bpfmaps/schema';
export const Proto = enumType('Proto', { TCP: 6, UDP: 17 }, { storage: u8 });
export const Flow = struct('Flow', { saddr: ipv4, port: u16, proto: Proto, pad: u8 });
export const Stats = struct('Stats', { packets: u64.counter(), bytes: u64.counter(), comm: chars(8) });
export const flows = hash('t_tool_flows', { key: Flow, value: Stats, maxEntries: 64, export: true });
export const counts = hash('t_tool_counts', { key: u32, value: u64, maxEntries: 8 });
`;
const Proto = enumType('Proto', { TCP: 6, UDP: 17 }, { storage: u8 });
const Flow = struct('Flow', { saddr: ipv4, port: u16, proto: Proto, pad: u8 });
const Stats = struct('Stats', { packets: u64.counter(), bytes: u64.counter(), comm: chars(8) });
type FlowKey = { saddr: string; port: number; proto: string | number; pad: number };
type FlowStats = { packets: bigint; bytes: bigint; comm: string };

function bpfmaps(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: WORK, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describeWith(['bpf', 'bpffs'], 'the bpfmaps command', () => {
  let map: HashMap<FlowKey, FlowStats>;
  const pin = join(PINS, 't_tool_flows');
  const dumpPinned = (...args: string[]) =>
    bpfmaps('dump', 'maps.schema.ts', 't_tool_flows', '--pin', pin, ...args);

  beforeAll(() => {
    writeFileSync(join(WORK, 'maps.schema.ts'), SCHEMA);
    mkdirSync(PINS, { recursive: true });
    map = mapFromSchema(hash('t_tool_flows', { key: Flow, value: Stats, maxEntries: 64 })) as never;
    for (let i = 0; i < 12; i++)
      map.set(
        { saddr: `10.0.0.${i}`, port: 1000 + i, proto: i % 2 ? 'UDP' : 'TCP', pad: 0 },
        { packets: BigInt(i) * 10n, bytes: 2n ** 40n + BigInt(i), comm: `p${i}` },
      );
    map.raw.pin(pin);
    // A map of the other name, with another layout than the schema says.
    const wrong = mapFromSchema(hash('t_tool_counts', { key: u32, value: u32, maxEntries: 8 }));
    wrong.raw.pin(join(PINS, 't_tool_counts'));
    wrong.close();
  });
  afterAll(() => {
    map.close();
    rmSync(PINS, { recursive: true, force: true });
    rmSync(WORK, { recursive: true, force: true });
  });

  it('dump --format json and ndjson equal entries(), 64-bit numbers to the last digit', () => {
    const expected = [...map.entries()].map(([key, value]) => ({ key, value }));
    const sort = (xs: { key: FlowKey }[]) => [...xs].sort((a, b) => a.key.port - b.key.port);
    const asJson = dumpPinned('--format', 'json');
    expect(asJson.stderr).toBe('');
    expect(asJson.code).toBe(0);
    expect(asJson.stdout).toBe(`${json(expected)}\n`);
    expect(asJson.stdout).toContain('"bytes":1099511627787');
    const nd = bpfmaps('dump', 'maps.schema.ts', 'flows', '--pin', pin, '--format', 'ndjson');
    expect(nd.stdout.trim().split('\n')).toEqual(expected.map((e) => json(e)));
    expect(sort(JSON.parse(asJson.stdout))).toHaveLength(12);
  });

  it('dump --format table: one aligned row per entry, every field', () => {
    const r = dumpPinned();
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual([
      'SADDR',
      'PORT',
      'PROTO',
      'PAD',
      'PACKETS',
      'BYTES',
      'COMM',
    ]);
    expect(lines).toHaveLength(13);
    const rows = lines.slice(1).map((l) => l.trim().split(/\s+/));
    const expected = [...map.entries()].map(([k, v]) => [
      k.saddr,
      String(k.port),
      String(k.proto),
      '0',
      String(v.packets),
      String(v.bytes),
      v.comm,
    ]);
    expect(rows).toEqual(expected);
  });

  it('dump --where filters on key fields, --limit stops early', () => {
    const udp = dumpPinned('--format', 'ndjson', '--where', 'proto=UDP');
    const lines = udp.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: FlowKey });
    expect(lines).toHaveLength(6);
    expect(lines.every((l) => l.key.proto === 'UDP')).toBe(true);
    const one = dumpPinned(
      '--format',
      'ndjson',
      '--where',
      'saddr=10.0.0.3',
      '--where',
      'port=1003',
    );
    expect(one.stdout.trim().split('\n')).toHaveLength(1);
    const limited = dumpPinned('--format', 'ndjson', '--limit', '4');
    expect(limited.stdout.trim().split('\n')).toHaveLength(4);
  });

  it.each([
    {
      args: ['dump', 'maps.schema.ts', 't_tool_counts', '--pin', join(PINS, 't_tool_counts')],
      code: 2,
      says: 'open map t_tool_counts from pin /sys/fs/bpf/',
    },
    {
      args: ['dump', 'maps.schema.ts', 't_tool_counts', '--pin', join(PINS, 't_tool_counts')],
      code: 2,
      says: 'value size: schema says 8, kernel map has 4',
    },
    {
      args: ['dump', 'maps.schema.ts', 'nope', '--pin', pin],
      code: 2,
      says: 'maps.schema.ts declares no map nope; it declares: t_tool_counts, t_tool_flows',
    },
    {
      args: ['dump', 'maps.schema.ts', 't_tool_flows'],
      code: 64,
      says: 'name where the map is with exactly one of --pin PATH, --id N or --object FILE',
    },
    {
      args: ['dump', 'maps.schema.ts', 't_tool_flows', '--pin', pin, '--id', '3'],
      code: 64,
      says: '(given: --pin, --id)',
    },
    {
      args: ['dump', 'maps.schema.ts', 't_tool_flows', '--pin', `${pin}-missing`],
      code: 2,
      says: 'nothing is pinned at this path',
    },
    {
      args: ['dump', 'maps.schema.ts', 't_tool_flows', '--pin', pin, '--where', 'dport=80'],
      code: 64,
      says: '--where dport: the key has no field dport; it has: saddr, port, proto, pad',
    },
    {
      args: ['dump', 'maps.schema.ts', 't_tool_flows', '--pin', pin, '--format', 'xml'],
      code: 64,
      says: 'Invalid values',
    },
    {
      args: ['dump', 'maps.schema.ts', 't_tool_flows', '--pin', pin, '--limit', '0'],
      code: 64,
      says: '--limit takes a whole number above 0, received 0',
    },
    { args: ['frobnicate'], code: 64, says: 'Unknown argument: frobnicate' },
    {
      args: [
        'top',
        'maps.schema.ts',
        't_tool_flows',
        '--pin',
        pin,
        '--sort',
        'comm',
        '--count',
        '1',
      ],
      code: 64,
      says: '--sort comm: the value has no number comm; it has: packets, bytes',
    },
  ])('$args.0 refuses, exit $code: $says', ({ args, code, says }) => {
    const r = bpfmaps(...args);
    expect(r.stderr).toContain(says);
    expect(r.stderr).not.toContain('    at ');
    expect(r.code).toBe(code);
  });

  it('ls lists the pins with the kernel facts and the schema verdict', () => {
    const r = bpfmaps('ls', PINS, '--schema', 'maps.schema.ts', '--format', 'json');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows).toEqual([
      {
        path: 't_tool_counts',
        name: 't_tool_counts',
        type: 'hash',
        keySize: 4,
        valueSize: 4,
        maxEntries: 8,
        entries: 0,
        schema:
          'differs: value size: schema says 8, kernel map has 4; value: schema says __u64 (8 bytes), BTF says __u32 (4 bytes)',
      },
      {
        path: 't_tool_flows',
        name: 't_tool_flows',
        type: 'hash',
        keySize: 8,
        valueSize: 24,
        maxEntries: 64,
        entries: 12,
        schema: 'matches flows',
      },
    ]);
    const text = bpfmaps('ls', PINS);
    expect(text.stdout.split('\n')[0]!.split(/\s+/)).toEqual([
      'PATH',
      'NAME',
      'TYPE',
      'KEY',
      'VALUE',
      'MAX',
      'ENTRIES',
    ]);
  });

  it('top without a terminal prints plain snapshots, sorted by the first counter, with its rate', () => {
    const r = bpfmaps(
      'top',
      'maps.schema.ts',
      't_tool_flows',
      '--pin',
      pin,
      '--count',
      '2',
      '--interval',
      '0.2',
      '--rows',
      '3',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    const screens = r.stdout.trim().split('\n\n');
    expect(screens).toHaveLength(2);
    const lines = screens[1]!.split('\n');
    expect(lines[0]).toMatch(
      /^t_tool_flows \(maps\.schema\.ts\): 12 entries, by packets, \d\d:\d\d:\d\d$/,
    );
    expect(lines[1]!.split(/\s+/)).toEqual([
      'SADDR',
      'PORT',
      'PROTO',
      'PAD',
      'PACKETS',
      'BYTES',
      'COMM',
      'PACKETS/S',
    ]);
    expect(lines.slice(2).map((l) => l.split(/\s+/)[4])).toEqual(['110', '100', '90']);
  });

  itWith(['tmux'], 'top in a terminal redraws in place and leaves cleanly on Ctrl-C', async () => {
    const session = `bpfmaps-top-${process.pid}`;
    const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '160',
      '-y',
      '30',
      '-c',
      WORK,
      `${process.execPath} ${BIN} top maps.schema.ts t_tool_flows --pin ${pin} --interval 0.2; echo EXIT=$?; sleep 30`,
    );
    try {
      let screen = '';
      for (let i = 0; i < 50 && !screen.includes('(Ctrl-C to quit)'); i++) {
        await new Promise((r) => setTimeout(r, 200));
        screen = tmux('capture-pane', '-p', '-t', session);
      }
      expect(screen).toContain('t_tool_flows (maps.schema.ts): 12 entries, by packets');
      expect(screen).toContain('(Ctrl-C to quit)');
      map.add({ saddr: '10.0.0.0', port: 1000, proto: 'TCP', pad: 0 }, { packets: 1000 });
      await new Promise((r) => setTimeout(r, 700));
      screen = tmux('capture-pane', '-p', '-t', session);
      expect(screen.split('\n')[2]).toMatch(/^10\.0\.0\.0\s+1000\s+TCP/); // the busiest row first
      tmux('send-keys', '-t', session, 'C-c');
      for (let i = 0; i < 50 && !screen.includes('EXIT='); i++) {
        await new Promise((r) => setTimeout(r, 100));
        screen = tmux('capture-pane', '-p', '-t', session);
      }
      expect(screen).toContain('EXIT=0');
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
  });

  it('export serves the marked maps; a scrape parses, with the values of the map; Ctrl-C stops it', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'export', 'maps.schema.ts', '--pin', PINS, '--port', '0', '--host', '127.0.0.1'],
      { cwd: WORK },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      for (let i = 0; i < 100 && !/serving/.test(err); i++)
        await new Promise((r) => setTimeout(r, 100));
      const port = /127\.0\.0\.1:(\d+)\/metrics/.exec(err)?.[1];
      expect(port, err).toBeDefined();
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const packets = text
        .split('\n')
        .filter((l) => l.startsWith('bpfmaps_t_tool_flows_packets_total{'));
      expect(packets).toHaveLength(12);
      expect(packets).toContain(
        'bpfmaps_t_tool_flows_packets_total{saddr="10.0.0.5",port="1005",proto="UDP",pad="0"} 50',
      );
      expect(text).toContain('# TYPE bpfmaps_t_tool_flows_bytes_total counter');
      expect(err).toContain('note: map t_tool_flows: comm not exported (not numbers)');
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
