import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';

const ARCH_INCLUDE = `/usr/include/${arch() === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;

export interface CompileOptions {
  /** Directories searched for `#include "..."` (for generated headers). */
  includes?: string[];
  /** Extra clang arguments. */
  args?: string[];
}

/** A fresh temporary directory for a test's files. */
export function tempDir(prefix = 'bpfmaps-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Compiles BPF C source with `clang -target bpf -O2 -g -Wall -Werror` and
 * returns the object's path. Throws with clang's diagnostics on failure.
 */
export function compileBpf(source: string, options: CompileOptions = {}): string {
  const dir = tempDir('bpfmaps-clang-');
  const src = join(dir, 'prog.bpf.c');
  const obj = join(dir, 'prog.bpf.o');
  writeFileSync(src, source);
  const includes = (options.includes ?? []).flatMap((d) => ['-I', d]);
  run('clang', [
    '-O2',
    '-g',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-target',
    'bpf',
    `-I${ARCH_INCLUDE}`,
    ...includes,
    ...(options.args ?? []),
    '-c',
    src,
    '-o',
    obj,
  ]);
  return obj;
}

/** Compiles and runs a host C program with clang; returns what it printed. */
export function runHost(source: string, options: CompileOptions = {}): string {
  const dir = tempDir('bpfmaps-host-');
  const src = join(dir, 'probe.c');
  const exe = join(dir, 'probe');
  writeFileSync(src, source);
  run('clang', ['-std=gnu11', '-O0', '-w', ...(options.args ?? []), src, '-o', exe]);
  return execFileSync(exe, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** The BTF of a compiled BPF object, as bpftool prints it in JSON. */
export function btfOf(object: string): { types: BtfType[] } {
  return JSON.parse(
    execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', object], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    }),
  ) as { types: BtfType[] };
}

export interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  members?: { name: string; type_id: number; bits_offset: number; bitfield_size?: number }[];
}

/** Compiles C source for the host (syntax and static asserts only). */
export function compileHost(source: string, options: CompileOptions = {}): void {
  const dir = tempDir('bpfmaps-cc-');
  const src = join(dir, 'host.c');
  writeFileSync(src, source);
  const includes = (options.includes ?? []).flatMap((d) => ['-I', d]);
  run('cc', [
    '-std=c11',
    '-Wall',
    '-Wextra',
    '-Werror',
    ...includes,
    ...(options.args ?? []),
    '-fsyntax-only',
    src,
  ]);
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'pipe' });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '');
    throw new Error(`${cmd} failed:\n${stderr}`);
  }
}
