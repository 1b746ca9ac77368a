import type { Metadata } from './metadata.ts';

/** One message seen on a port from outside the graph: its value and the metadata it carries. */
export interface Tapped<T> {
  readonly value: T;
  readonly meta: Metadata;
}
