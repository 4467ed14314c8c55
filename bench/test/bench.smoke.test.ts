import { execFileSync } from 'node:child_process';
import { describeWith } from '@bpfmaps/testing';
import { expect, it } from 'vitest';

// The bench is not part of npm test; this small run keeps it from rotting.
describeWith(['bpf', 'cc'], 'bench smoke run', () => {
  // Minutes, not seconds: the events latency run alone paces three seconds per consumer, and CI runs
  // every package's tests at once on two cores.
  it(
    'runs every workload on C, bpfmaps and node_bpf and reports ratios',
    { timeout: 300_000 },
    () => {
      const out = execFileSync(
        process.execPath,
        [
          ...[
            '--expose-gc',
            '--import',
            'tsx',
            'src/main.ts',
            '--n',
            '2000',
            '--rounds',
            '1',
            '--json',
          ],
          ...['--event-seconds', '0.01', '--event-rate', '5000'],
        ],
        { encoding: 'utf8' },
      );
      const report = JSON.parse(out) as {
        rows: {
          workload: string;
          n: number;
          c: number;
          bpfmaps: number;
          nodeBpf?: number;
          ratio: number;
        }[];
        floor: { ratios: { n: number; median: number }[] };
        codec: { speedup: number };
        mmap: { speedup: number; fieldSpeedup: { median: number } };
        memory: { entries: number; growthMiB: number };
        scrape: { n: number; perEntry: { median: number } };
        events: Record<
          'c' | 'callback' | 'iterator',
          { sustained: { median: number }; p99: { median: number } }
        >;
      };
      expect(report.rows.map((r) => r.workload)).toEqual([
        'set',
        'get',
        'floor',
        'delete',
        'entries',
        'setMany',
        'getMany',
        'hasMany',
        'addMany',
        'percpuGet',
      ]);
      expect(report.rows.every((r) => r.n === 2000)).toBe(true);
      expect(report.floor.ratios.map((f) => f.n)).toEqual([2000]);
      for (const r of report.rows) {
        expect(r.c, r.workload).toBeGreaterThan(0);
        expect(r.bpfmaps, r.workload).toBeGreaterThan(0);
        expect(Number.isFinite(r.ratio), r.workload).toBe(true);
      }
      expect(report.rows.filter((r) => r.nodeBpf !== undefined).map((r) => r.workload)).toEqual([
        'set',
        'get',
        'delete',
        'entries',
        'setMany',
      ]);
      expect(report.codec.speedup).toBeGreaterThan(0);
      expect(report.mmap.speedup).toBeGreaterThan(0);
      expect(report.mmap.fieldSpeedup.median).toBeGreaterThan(0);
      expect(report.memory.entries).toBe(2000);
      expect(report.scrape.n).toBe(2000);
      expect(report.scrape.perEntry.median).toBeGreaterThan(0);
      for (const consumer of ['c', 'callback', 'iterator'] as const) {
        expect(report.events[consumer].sustained.median, consumer).toBeGreaterThan(0);
        expect(report.events[consumer].p99.median, consumer).toBeGreaterThan(0);
      }
    },
  );
});
