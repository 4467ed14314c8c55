import { readFileSync } from 'node:fs';
import { arch } from 'node:os';

const HEADERS: Record<string, string> = {
  x64: '/usr/include/x86_64-linux-gnu/asm/unistd_64.h',
  arm64: '/usr/include/asm-generic/unistd.h',
};

/** Syscall number -> name, from the kernel's own header (linux-libc-dev); empty if not installed. */
export function syscallNames(): Map<number, string> {
  const names = new Map<number, string>();
  const header = HEADERS[arch()];
  if (!header) return names;
  let text = '';
  try {
    text = readFileSync(header, 'utf8');
  } catch {
    return names;
  }
  for (const m of text.matchAll(/^#define __NR3?2?_(\w+)\s+(\d+)\s*$/gm))
    if (!names.has(Number(m[2]))) names.set(Number(m[2]), m[1]!);
  return names;
}
