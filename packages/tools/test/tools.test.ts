/**
 * The bpfmaps command against real maps: dump of a pinned map equals
 * entries() in every format, filters and limits; top draws in a terminal
 * (tmux) and leaves cleanly on Ctrl-C; ls lists pins with the schema's
 * verdict; export serves what a scrape parses; and each refuses a map whose
 * layout differs from the schema, with exit codes that say which mistake.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  hash,
  ipv4,
  percpuArray,
  queue,
  struct,
  u16,
  u32,
  u64,
  u8,
  enumType,
  chars,
} from '@bpfmaps/schema';
import { mapFromSchema, possibleCpus, type HashMap } from '@bpfmaps/runtime';
import { createServer } from 'node:net';
import { describeWith, itWith } from '@bpfmaps/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { json } from '../src/rows.js';

const BIN = fileURLToPath(new URL('../bin/bpfmaps.js', import.meta.url));
// Inside the package, so the schema file resolves @bpfmaps/schema as a user's would.
const WORK = mkdtempSync(fileURLToPath(new URL('./.work-', import.meta.url)));
const PINS = `/sys/fs/bpf/bpfmaps-tools-${process.pid}`;
/** Pins of the kinds and sizes users met trouble with, apart from PINS (whose listing a test checks). */
const MORE = `${PINS}-more`;

const SCHEMA = `import { chars, enumType, hash, ipv4, percpuArray, queue, struct, u16, u32, u64, u8 } from '@bpfmaps/schema';
export const Proto = enumType('Proto', { TCP: 6, UDP: 17 }, { storage: u8 });
export const Flow = struct('Flow', { saddr: ipv4, port: u16, proto: Proto, pad: u8 });
export const Stats = struct('Stats', { packets: u64.counter(), bytes: u64.counter(), comm: chars(8) });
export const flows = hash('t_tool_flows', { key: Flow, value: Stats, maxEntries: 64, export: true });
export const counts = hash('t_tool_counts', { key: u32, value: u64, maxEntries: 8 });
export const pcpu = percpuArray('t_tool_pcpu', { value: struct('Ev', { events: u64.counter(), level: u32 }), maxEntries: 2 });
export const q = queue('t_tool_q', { value: u32, maxEntries: 4 });
export const big = hash('t_tool_big', { key: u32, value: u64, maxEntries: 200000 });
export const names = hash('t_tool_names', { key: struct('Name', { comm: chars(16) }), value: u64.counter(), maxEntries: 8 });
`;
const Proto = enumType('Proto', { TCP: 6, UDP: 17 }, { storage: u8 });
const Flow = struct('Flow', { saddr: ipv4, port: u16, proto: Proto, pad: u8 });
const Stats = struct('Stats', { packets: u64.counter(), bytes: u64.counter(), comm: chars(8) });
/** The columns of t_tool_flows' table: the key's, then the value's. */
const FLOW_COLUMNS = ['SADDR', 'PORT', 'PROTO', 'PAD', 'PACKETS', 'BYTES', 'COMM'];
type FlowKey = { saddr: string; port: number; proto: string | number; pad: number };
type FlowStats = { packets: bigint; bytes: bigint; comm: string };

function bpfmaps(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: WORK,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
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
    mkdirSync(MORE, { recursive: true });
    const pcpu = mapFromSchema(
      percpuArray('t_tool_pcpu', {
        value: struct('Ev', { events: u64.counter(), level: u32 }),
        maxEntries: 2,
      }),
    ) as never as {
      setAll(i: number, v: unknown): void;
      raw: { pin(p: string): void };
      close(): void;
    };
    pcpu.setAll(1, { events: 3n, level: 10 });
    pcpu.raw.pin(join(MORE, 't_tool_pcpu'));
    pcpu.close();
    const q = mapFromSchema(queue('t_tool_q', { value: u32, maxEntries: 4 }));
    q.raw.pin(join(MORE, 't_tool_q'));
    q.close();
    const big = mapFromSchema(hash('t_tool_big', { key: u32, value: u64, maxEntries: 200_000 }));
    (big as never as HashMap<number, bigint>).setMany(
      Array.from({ length: 200_000 }, (_, i) => [i, BigInt(i)] as const),
    );
    big.raw.pin(join(MORE, 't_tool_big'));
    big.close();
    const names = mapFromSchema(
      hash('t_tool_names', {
        key: struct('Name', { comm: chars(16) }),
        value: u64.counter(),
        maxEntries: 8,
      }),
    ) as never as HashMap<{ comm: string }, bigint>;
    names.set({ comm: '\x1b[2Jevil' }, 1n);
    names.set({ comm: 'two\nlines' }, 2n);
    names.set({ comm: 'other' }, 5n);
    names.set({ comm: 'a' }, 7n);
    names.set({ comm: 'b' }, 1n);
    names.raw.pin(join(MORE, 't_tool_names'));
    names.close();
  });
  afterAll(() => {
    map.close();
    rmSync(PINS, { recursive: true, force: true });
    rmSync(MORE, { recursive: true, force: true });
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
    expect(lines[0]!.split(/\s+/)).toEqual(FLOW_COLUMNS);
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
      says: 'maps.schema.ts declares no map nope; it declares: t_tool_big, t_tool_counts, t_tool_flows, t_tool_names, t_tool_pcpu, t_tool_q',
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
      says: '--limit takes a whole number above 0, received "0"',
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
    {
      args: ['dump', 'maps.schema.ts', 't_tool_q', '--pin', join(MORE, 't_tool_q')],
      code: 2,
      says: 'map t_tool_q is a queue: it has no keys and values to read',
    },
    {
      args: ['top', 'maps.schema.ts', 't_tool_q', '--pin', join(MORE, 't_tool_q'), '--count', '1'],
      code: 2,
      says: 'map t_tool_q is a queue',
    },
    {
      args: [
        'dump',
        'maps.schema.ts',
        't_tool_flows',
        '--pin',
        join(PINS, 't_tool_flows'),
        '--format',
        'json',
        '--format',
        'ndjson',
      ],
      code: 64,
      says: '--format given twice',
    },
    {
      args: ['dump', 'maps.schema.ts', 't_tool_flows', '--id', 'abc'],
      code: 64,
      says: '--id takes a number, received "abc"',
    },
    {
      args: [
        'top',
        'maps.schema.ts',
        't_tool_flows',
        '--pin',
        join(PINS, 't_tool_flows'),
        '--interval',
        'abc',
      ],
      code: 64,
      says: '--interval takes a number, received "abc"',
    },
    {
      args: ['dump', WORK, 't_tool_flows', '--pin', pin],
      code: 2,
      says: `schema ${WORK}: not a file`,
    },
    {
      args: ['dump', 'maps.schema.ts', 't_tool_flows', '--id', '0'],
      code: 64,
      says: '--id takes a whole number above 0, received "0"',
    },
    {
      args: ['export', 'maps.schema.ts', '--pin', MORE, '--attach'],
      code: 64,
      says: '--attach attaches the programs of --object FILE',
    },
    {
      args: [
        'export',
        'maps.schema.ts',
        '--pin',
        MORE,
        '--maps',
        't_tool_names',
        '--label',
        'nosuch=x',
      ],
      code: 2,
      says: 'label nosuch: no map exported has key field nosuch',
    },
    {
      args: ['export', 'maps.schema.ts', '--pin', MORE, '--port', '70000'],
      code: 64,
      says: '--port takes a port number, 0 to 65535, received "70000"',
    },
    {
      args: ['export', 'maps.schema.ts', '--pin', MORE, '--prefix', '9bad-'],
      code: 64,
      says: '--prefix "9bad-" cannot start a Prometheus metric name',
    },
    {
      args: ['export', 'maps.schema.ts', '--pin', MORE, '--label', 'comm=__name__'],
      code: 64,
      says: '--label takes field=name (a Prometheus label name, not starting with __)',
    },
    {
      args: [
        'export',
        'maps.schema.ts',
        '--pin',
        PINS,
        '--maps',
        't_tool_flows',
        '--label',
        'saddr=port',
      ],
      code: 2,
      says: 'two key fields would both be labelled port',
    },
  ])('$args.0 refuses, exit $code: $says', ({ args, code, says }) => {
    const r = bpfmaps(...args);
    expect(r.stderr).toContain(says);
    expect(r.stderr).not.toContain('    at ');
    expect(r.code).toBe(code);
  });

  it('dump and top sum a per-CPU value over the CPUs in tables; JSON keeps a copy per CPU', () => {
    const table = bpfmaps(
      'dump',
      'maps.schema.ts',
      't_tool_pcpu',
      '--pin',
      join(MORE, 't_tool_pcpu'),
    );
    expect(table.stderr).toBe('');
    const cpus = possibleCpus();
    expect(
      table.stdout
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/)),
    ).toEqual([
      ['KEY', 'EVENTS', 'LEVEL'],
      ['0', '0', '0'],
      ['1', String(3 * cpus), String(10 * cpus)],
    ]);
    const asJson = bpfmaps(
      'dump',
      'maps.schema.ts',
      't_tool_pcpu',
      '--pin',
      join(MORE, 't_tool_pcpu'),
      '--format',
      'json',
    );
    expect(JSON.parse(asJson.stdout)[1].value).toHaveLength(cpus);
    const top = bpfmaps(
      'top',
      'maps.schema.ts',
      't_tool_pcpu',
      '--pin',
      join(MORE, 't_tool_pcpu'),
      '--count',
      '1',
    );
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('by events');
  });

  it('a table of 200,000 entries is written whole', () => {
    const r = bpfmaps('dump', 'maps.schema.ts', 't_tool_big', '--pin', join(MORE, 't_tool_big'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(200_001);
  });

  it("control characters of a key are escaped in tables: a traced process cannot drive the operator's terminal", () => {
    const r = bpfmaps(
      'dump',
      'maps.schema.ts',
      't_tool_names',
      '--pin',
      join(MORE, 't_tool_names'),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).toContain('\\x1b[2Jevil');
    expect(r.stdout).toContain('two\\nlines');
    expect(r.stdout.trim().split('\n')).toHaveLength(6);
  });

  it('a reader that stops early (top | head) ends top quietly', () => {
    const r = spawnSync(
      'bash',
      [
        '-c',
        `set -o pipefail; "${process.execPath}" "${BIN}" top maps.schema.ts t_tool_flows --pin ${pin} --interval 0.1 --count 50 | head -1`,
      ],
      { cwd: WORK, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('ls skips what is no map (the kernel puts maps.debug in /sys/fs/bpf), and says what a wrong directory is', () => {
    const all = bpfmaps('ls');
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
    const more = bpfmaps('ls', MORE, '--format', 'json');
    const q = (JSON.parse(more.stdout) as { name: string; entries: unknown }[]).find(
      (r) => r.name === 't_tool_q',
    );
    expect(q?.entries).toBeNull();
    for (const [dir, says] of [
      ['/nonexistent-bpfmaps', 'ls /nonexistent-bpfmaps: no such directory'],
      [pin, `ls ${pin}: not a directory`],
      [WORK, `ls ${WORK}: not on a bpf filesystem`],
    ]) {
      const r = bpfmaps('ls', dir!);
      expect(r.stderr).toContain(says);
      expect(r.stderr).not.toContain('    at ');
      expect(r.code).toBe(2);
    }
  });

  it('export on a port in use says so in one line', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const r = bpfmaps(
        'export',
        'maps.schema.ts',
        '--pin',
        MORE,
        '--maps',
        't_tool_names',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
      );
      expect(r.stderr.trim()).toBe(
        `bpfmaps: cannot serve on 127.0.0.1, port ${port}: the port is in use (--port)`,
      );
      expect(r.code).toBe(2);
    } finally {
      taken.close();
    }
  });

  it('--where reads each value as its field: an enum by name or number, and what the field cannot hold is refused', () => {
    const byNumber = dumpPinned('--format', 'ndjson', '--where', 'proto=17');
    const byName = dumpPinned('--format', 'ndjson', '--where', 'proto=UDP');
    expect(byNumber.stdout).toBe(byName.stdout);
    expect(byNumber.stdout.trim().split('\n')).toHaveLength(6);
    for (const [where, says] of [
      ['proto=BOGUS', '--where proto=BOGUS: '],
      ['port=abc', '--where port=abc: port is a u16: give a number'],
      ['port=99999', '--where port=99999: '],
      ['saddr=notanip', '--where saddr=notanip: '],
    ]) {
      const r = dumpPinned('--where', where!);
      expect(r.stderr).toContain(says);
      expect(r.stderr).not.toContain('    at ');
      expect(r.code).toBe(64);
    }
  });

  it('ls does not follow symbolic links: a loop ends, a linked directory is not listed twice', () => {
    const loop = join(MORE, 'loop');
    const dangling = join(MORE, 'dangling');
    symlinkSync(MORE, loop);
    symlinkSync(join(MORE, 'nothing'), dangling);
    try {
      const r = bpfmaps('ls', MORE, '--format', 'json');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const names = (JSON.parse(r.stdout) as { name: string }[]).map((x) => x.name);
      expect(names).toEqual([...new Set(names)]);
      expect(names).toContain('t_tool_big');
    } finally {
      rmSync(loop);
      rmSync(dangling);
    }
  });

  it('top shows a scalar value and its rate', () => {
    const r = bpfmaps(
      'top',
      'maps.schema.ts',
      't_tool_big',
      '--pin',
      join(MORE, 't_tool_big'),
      '--count',
      '1',
      '--rows',
      '2',
    );
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[1]!.trim().split(/\s+/)).toEqual(['KEY', 'VALUE', 'VALUE/S']);
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
    expect(lines[1]!.split(/\s+/)).toEqual([...FLOW_COLUMNS, 'PACKETS/S']);
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
