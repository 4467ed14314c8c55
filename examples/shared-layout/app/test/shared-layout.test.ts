import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describeWith } from '@bpfmaps/testing';
import { expect, it } from 'vitest';
import { countEtherTypes, frame } from '../src/count.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const APP = fileURLToPath(new URL('../', import.meta.url));

describeWith(['bpf'], 'shared layout across workspace packages', () => {
  it('the C program and the app agree on the map the schema package declares', () => {
    const counted = countEtherTypes([frame(0x0800, 60), frame(0x0800, 100), frame(0x86dd, 80)]);
    expect(counted).toEqual(
      new Map([
        [0x0800, { packets: 2n, bytes: 160n }],
        [0x86dd, { packets: 1n, bytes: 80n }],
      ]),
    );
  });

  it('the built app runs with plain node: JS and types from the schema package, no tsx', () => {
    const out = execFileSync(process.execPath, ['dist/main.js'], { cwd: APP, encoding: 'utf8' });
    // In the order the kernel's hash map yields them.
    expect(out.trimEnd().split('\n').sort()).toEqual([
      'EtherType 0x0800: 2 frames, 1560 bytes',
      'EtherType 0x0806: 1 frame, 42 bytes',
      'EtherType 0x86dd: 1 frame, 80 bytes',
    ]);
  });
});

it('turbo builds schema -> C and schema -> app in one graph, and every task is a cache hit when nothing changed', () => {
  const turbo = createRequire(import.meta.url).resolve('turbo/bin/turbo');
  const dry = JSON.parse(
    execFileSync(
      process.execPath,
      [turbo, 'run', 'build', '--filter=@bpfmaps/example-shared-app', '--dry=json'],
      { cwd: ROOT, encoding: 'utf8' },
    ),
  ) as {
    tasks: { taskId: string; command: string; dependencies: string[]; cache: { status: string } }[];
  };
  const task = (id: string) => dry.tasks.find((t) => t.taskId === id);
  expect(task('@bpfmaps/example-shared-schema#generate')).toBeDefined();
  expect(task('@bpfmaps/example-shared-schema#build')?.dependencies).toContain(
    '@bpfmaps/example-shared-schema#generate',
  );
  expect(task('@bpfmaps/example-shared-bpf#build')?.dependencies).toContain(
    '@bpfmaps/example-shared-schema#build',
  );
  // The C build finds the header through the schema package's exports, not its folder.
  expect(task('@bpfmaps/example-shared-bpf#build')?.command).not.toContain('../schema');
  expect(task('@bpfmaps/example-shared-app#build')?.dependencies).toEqual(
    expect.arrayContaining([
      '@bpfmaps/example-shared-schema#build',
      '@bpfmaps/example-shared-bpf#build',
    ]),
  );
  // npm test built everything just before this test: the same build again is all cache hits.
  const misses = dry.tasks
    .filter((t) => t.command !== '<NONEXISTENT>' && t.cache.status !== 'HIT')
    .map((t) => t.taskId);
  expect(dry.tasks.filter((t) => t.command !== '<NONEXISTENT>').length).toBeGreaterThanOrEqual(6);
  expect(misses).toEqual([]);
});
