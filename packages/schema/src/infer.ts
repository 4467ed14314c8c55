import type { CType } from './types/base.js';
import type { MapDecl } from './maps/decl.js';

/** The decoded TS type of a bpfmaps type: `Infer<typeof FlowKey>`. */
export type Infer<S> = S extends CType<infer T> ? T : never;
/** The decoded key type of a map declaration. */
export type InferKey<M> = M extends MapDecl<infer K, any, any, any> ? K : never;
/** The decoded value type of a map declaration. */
export type InferValue<M> = M extends MapDecl<any, infer V, any, any> ? V : never;
