import { plus } from './base.js';

/** Generated statements that zero `size` bytes at `base + offset` (padding is always written as zeros). */
export function zeroes(base: string, offset: number, size: number): string[] {
  if (size > 8) return [`c.zero(v, ${plus(base, offset)}, ${size});`];
  const lines: string[] = [];
  let done = 0;
  for (const width of [4, 2, 1]) {
    while (size - done >= width) {
      lines.push(`v.setUint${width * 8}(${plus(base, offset + done)}, 0);`);
      done += width;
    }
  }
  return lines;
}
