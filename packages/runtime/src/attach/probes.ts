/**
 * What this machine has, asked only after an attach failed, so the error
 * can name the real cause: tracefs mounted or not, kprobes and uprobes
 * built in or not, a kernel function present or not.
 */
import { existsSync, readFileSync } from 'node:fs';

/** Where libbpf 1.1 looks for tracepoints: debugfs's tracing directory when it exists, else tracefs. */
export function tracefsRoot(): string {
  return existsSync('/sys/kernel/debug/tracing')
    ? '/sys/kernel/debug/tracing'
    : '/sys/kernel/tracing';
}

/** True when tracefs is mounted where libbpf reads it. */
export function tracefsMounted(): boolean {
  return existsSync(`${tracefsRoot()}/events`);
}

/**
 * Why this kernel cannot make `kind` probes (`kprobe`, `uprobe`), or
 * undefined when it can: a probe needs the PMU of that name
 * (/sys/bus/event_source/devices) or, on older kernels, tracefs's
 * `<kind>_events` file, and a kernel built without the option has neither.
 */
export function probesMissing(kind: 'kprobe' | 'uprobe'): string | undefined {
  if (existsSync(`/sys/bus/event_source/devices/${kind}`)) return undefined;
  if (existsSync(`${tracefsRoot()}/${kind}_events`)) return undefined;
  const option = kind === 'kprobe' ? 'CONFIG_KPROBES' : 'CONFIG_UPROBE_EVENTS';
  const instead =
    kind === 'kprobe'
      ? 'attach to a tracepoint, raw tracepoint or BTF tracepoint (tp_btf) instead'
      : 'use a kernel built with it';
  return `this kernel has no ${kind}s (built without ${option}: no ${kind} PMU in /sys/bus/event_source/devices, no ${kind}_events in tracefs); ${instead}`;
}

/** True when /proc/kallsyms lists a kernel function `name` (false when it cannot be read). */
export function kernelHasFunction(name: string): boolean {
  try {
    const text = readFileSync('/proc/kallsyms', 'utf8');
    return new RegExp(`^[0-9a-f]+ [tTwW] ${name.replace(/[.$]/g, '\\$&')}(\\s|$)`, 'm').test(text);
  } catch {
    return false;
  }
}
