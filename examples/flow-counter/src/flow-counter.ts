import { fileURLToPath } from 'node:url';
import { BpfObject } from '@bpfmaps/runtime';
import { openMaps, type FlowKey, type FlowStats } from '../maps.gen.js';
import { frame, type Flow } from './packets.js';

export const OBJECT_PATH = fileURLToPath(new URL('../build/flow.bpf.o', import.meta.url));

/** XDP_PASS: the program lets every packet through; it only counts. */
export const XDP_PASS = 2;

export interface Traffic {
  flow: Flow;
  /** Payload size of each packet sent on this flow. */
  payloads: number[];
}

/**
 * Loads the XDP program, runs it on every packet of `traffic` in the kernel
 * (BPF_PROG_TEST_RUN), and returns what it counted, read back through the
 * generated accessor.
 */
export function countFlows(traffic: readonly Traffic[], objectPath = OBJECT_PATH): [FlowKey, FlowStats][] {
  using obj = BpfObject.load(objectPath);
  using maps = openMaps(obj);
  const program = obj.program('count_flows');
  for (const { flow, payloads } of traffic) {
    for (const payload of payloads) {
      const { retval } = program.testRun({ data: frame(flow, payload) });
      if (retval !== XDP_PASS) throw new Error(`count_flows returned ${retval}, expected XDP_PASS`);
    }
  }
  return [...maps.flows.entries()];
}
