/** Encode and decode alone: the generated codec against the typed-binary reference codec. */
import { decodeReference, encodeReference } from '@bpfmaps/schema';
import { Counters as CountersType, Tuple as TupleType } from '../bench.schema.js';
import { CountersCodec, TupleCodec } from '../bench.gen.js';
import { keyOf, valueOf } from './data.js';

export function runCodecs(n: number): { generated: number; reference: number } {
  const keys = Array.from({ length: n }, (_, i) => keyOf(i));
  const values = Array.from({ length: n }, (_, i) => valueOf(i));
  const view = new DataView(new ArrayBuffer(48));
  let sink = 0;
  let start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    TupleCodec.encode(view, 0, keys[i]!);
    CountersCodec.encode(view, 16, values[i]!);
    sink += TupleCodec.decode(view, 0).sport + CountersCodec.decode(view, 16).a;
  }
  const generated = Number(process.hrtime.bigint() - start);
  start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const k = encodeReference(TupleType, keys[i]!);
    const v = encodeReference(CountersType, values[i]!);
    sink += decodeReference(TupleType, k).sport + decodeReference(CountersType, v).a;
  }
  const reference = Number(process.hrtime.bigint() - start);
  return { generated: generated + sink * 0, reference };
}
