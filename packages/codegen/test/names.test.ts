/** Names the generated files cannot give the user's declarations, refused with the thing at fault named. */
import { hash, struct, u32 } from '@bpfmaps/schema';
import { openAll } from '@bpfmaps/runtime';
import { describe, expect, it } from 'vitest';
import { generate } from '../src/index.js';
import { GROUP_MEMBERS } from '../src/model/maps.js';

const K = struct('K', { a: u32 });
const render = (module: Record<string, unknown>) =>
  generate(module, { source: 'maps.schema.ts', header: 'maps.h', module: 'maps.gen.ts' });

describe('map names and the object openMaps() returns', () => {
  it('a map named close is refused: maps.close is the group close()', async () => {
    await expect(
      render({ K, close: hash('close', { key: K, value: K, maxEntries: 4 }) }),
    ).rejects.toThrow(
      "map close: the generated Maps object has its own close() (it closes every map), so maps.close could not be the map. Give the map another name, e.g. hash('close_map', ...)",
    );
  });

  it('the refused names are exactly the string members of a runtime map group', () => {
    const members = Reflect.ownKeys(openAll({})).filter((k) => typeof k === 'string');
    expect([...members].sort()).toEqual([...GROUP_MEMBERS].sort());
  });

  it('an export named close is fine: only the map name is a key of the group', async () => {
    await expect(
      render({ K, close: hash('closed', { key: K, value: K, maxEntries: 4 }) }),
    ).resolves.toHaveLength(2);
  });
});
