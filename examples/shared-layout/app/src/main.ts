/** The shared-layout demo: the app and the C program agree on a map through one schema package. */
import { countEtherTypes, frame } from './count.js';

const counted = countEtherTypes([
  frame(0x0800, 60),
  frame(0x0800, 1500),
  frame(0x86dd, 80),
  frame(0x0806, 42),
]);
for (const [type, stats] of counted)
  console.log(
    `EtherType 0x${type.toString(16).padStart(4, '0')}: ${stats.packets} ${stats.packets === 1n ? 'frame' : 'frames'}, ${stats.bytes} bytes`,
  );
