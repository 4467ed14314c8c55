import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BpfObject } from '@bpfmaps/runtime';
import { openMaps, type EtherStats } from '@bpfmaps/example-shared-schema/maps';

/** The object the C package builds, in that package's build/ folder. */
export const OBJECT_PATH = join(
  dirname(createRequire(import.meta.url).resolve('@bpfmaps/example-shared-bpf/package.json')),
  'build/counter.bpf.o',
);

/** Runs the XDP program on each frame and returns what it counted per EtherType. */
export function countEtherTypes(frames: readonly Uint8Array[]): Map<number, EtherStats> {
  using obj = BpfObject.load(OBJECT_PATH);
  using maps = openMaps(obj);
  const program = obj.program('count_ethertype');
  for (const data of frames) program.testRun({ data });
  return new Map(maps.by_ethertype.entries());
}

/** A frame of `length` bytes with EtherType `type`. */
export function frame(type: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  new DataView(bytes.buffer).setUint16(12, type);
  return bytes;
}
