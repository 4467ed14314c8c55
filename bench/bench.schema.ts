import {
  array,
  be16,
  be32,
  hash,
  mapFlags,
  pad,
  percpuHash,
  ringbuf,
  chars,
  struct,
  u32,
  u64,
  u8,
} from '@bpfmaps/schema';

/** The default workload's key: a 16-byte IPv4 5-tuple. */
export const Tuple = struct('Tuple', {
  saddr: be32,
  daddr: be32,
  sport: be16,
  dport: be16,
  proto: u8,
  reserved: pad(3),
});

/** The default workload's value: four u64 (decoded as numbers: no BigInt on the hot path). */
export const Counters = struct('Counters', {
  a: u64.asNumber(),
  b: u64.asNumber(),
  c: u64.asNumber(),
  d: u64.asNumber(),
});

// maxEntries here only shapes the generated spec; the bench creates maps of its own size.
export const flows = hash('flows', { key: Tuple, value: Counters, maxEntries: 1 });
export const percpu = percpuHash('percpu', { key: Tuple, value: Counters, maxEntries: 1 });
export const slots = array('slots', { value: Counters, maxEntries: 1, flags: mapFlags.mmapable });

/** The events workload's event: 40 bytes, a string among them, as real tracers send. */
export const BenchEvent = struct('BenchEvent', {
  seq: u64.asNumber(),
  ts: u64.asNumber().describe('bpf_ktime_get_ns() when the program reserved it.'),
  cpu: u32,
  pid: u32,
  comm: chars(16),
});

/** Room for 400,000 of them: a consumer that keeps up never sees it full. */
export const events = ringbuf('events', { event: BenchEvent, size: 16 * 1024 * 1024 });
