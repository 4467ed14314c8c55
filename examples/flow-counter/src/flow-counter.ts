import { fileURLToPath } from 'node:url';
import { BpfObject, sum } from '@bpfmaps/runtime';
import {
  DropReasonValues,
  openMaps,
  type DropReason,
  type DropStats,
  type FlowKey,
  type FlowStats,
} from '../maps.gen.js';
import { frame, type Flow } from './packets.js';

export const OBJECT_PATH = fileURLToPath(new URL('../build/flow.bpf.o', import.meta.url));

/** XDP verdicts (enum xdp_action). */
export const XDP_DROP = 1;
export const XDP_PASS = 2;

export interface Traffic {
  flow: Flow;
  /** Payload size of each packet sent on this flow. */
  payloads: number[];
}

export interface Counted {
  flows: [FlowKey, FlowStats][];
  /** Drops per reason, summed over every CPU's copy. */
  drops: Record<DropReason, DropStats>;
  /** The verdict of every packet, in the order sent. */
  verdicts: number[];
}

/**
 * Loads the XDP program, runs it on every packet of `traffic` and on each raw
 * frame of `raw` in the kernel (BPF_PROG_TEST_RUN), and reads back what it
 * counted through the generated accessors.
 */
export function countFlows(
  traffic: readonly Traffic[],
  raw: readonly Uint8Array[] = [],
  objectPath = OBJECT_PATH,
): Counted {
  using obj = BpfObject.load(objectPath);
  using maps = openMaps(obj);
  const program = obj.program('count_flows');
  const verdicts: number[] = [];
  for (const { flow, payloads } of traffic)
    for (const payload of payloads)
      verdicts.push(program.testRun({ data: frame(flow, payload) }).retval);
  for (const data of raw) verdicts.push(program.testRun({ data }).retval);
  const drops = Object.fromEntries(
    (Object.entries(DropReasonValues) as [DropReason, number][]).map(([reason, index]) => [
      reason,
      maps.drops.getReduced(index, sum)!,
    ]),
  ) as Record<DropReason, DropStats>;
  return { flows: [...maps.flows.entries()], drops, verdicts };
}

/** The address of a flow key's side, whichever family it is. */
export function address(key: FlowKey, side: 'saddr' | 'daddr'): string {
  return (key.family === 6 ? key[side].v6 : key[side].v4) ?? '?';
}
