/**
 * Metadata travels with every message. Values are read-only once attached, so an operator that
 * forwards metadata shares the object rather than copying it (copy on write keeps hops cheap).
 */
export type Metadata = Readonly<Record<string, unknown>>;

export const EMPTY_METADATA: Metadata = Object.freeze({});

/** Merges metadata of several inputs; later entries win, as Holoscan's default `update` policy does. */
export function mergeMetadata(into: Metadata, from: Metadata): Metadata {
  if (from === EMPTY_METADATA || from === into) return into;
  if (into === EMPTY_METADATA) return from;
  return Object.freeze({ ...into, ...from });
}
