import { join } from 'node:path';
import { compileBpf, compileHost, describeWith } from '@bpfmaps/testing';
import { expect, it } from 'vitest';
import { fixtures } from './fixtures.js';

// Every golden header is compiled, so clang checks each _Static_assert on
// sizeof and offsetof: the layout engine's numbers against the compiler's.
describeWith(['clang', 'libbpf-headers'], 'golden headers compile for BPF', () => {
  it.each(fixtures)('$name', ({ dir }) => {
    expect(() => compileBpf('#include "maps.h"\n', { includes: [dir] })).not.toThrow();
  });

  it('a wrong offset is caught by the compiler', () => {
    const source = [
      '#include <linux/types.h>',
      'struct s { __u8 a; __u32 b; };',
      '_Static_assert(__builtin_offsetof(struct s, b) == 1, "bpfmaps: S.b must be at offset 1");',
    ].join('\n');
    expect(() => compileBpf(source)).toThrow(/S\.b must be at offset 1/);
  });
});

describeWith(['cc'], 'golden headers compile for the host (types only)', () => {
  it.each(fixtures)('$name', ({ dir }) => {
    expect(() => compileHost(`#include "${join(dir, 'maps.h')}"\nint main(void) { return 0; }\n`)).not.toThrow();
  });
});
