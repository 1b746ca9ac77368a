import type { MessageType } from '../message-type.ts';

/**
 * A value on its way across a thread boundary. A type with a wire codec crosses as its header plus
 * binary parts; a type without one crosses by structured clone (`plain`) and is checked by its schema
 * on arrival. A multi-receiver input crosses as a list; an empty ungated input as `absent`.
 */
export type Crossing =
  | { readonly wire: { readonly header: unknown; readonly parts: readonly Uint8Array<ArrayBuffer>[] } }
  | { readonly plain: unknown }
  | { readonly multi: readonly Crossing[] }
  | { readonly absent: true };

/**
 * Encodes a value to cross to another thread, adding the buffers to move to `transfer`.
 *
 * A part that owns its whole ArrayBuffer is moved (transferred: no copy, the sender's buffer is
 * detached). A part that is a view into a larger buffer (a decoder's picture pool) is copied, since
 * moving the buffer would take its owner's memory. `shared` says the same message also sits in another
 * queue (an output feeding several inputs): then every part is copied, so the other reader keeps it.
 */
export function encodeCrossing(type: MessageType<unknown>, value: unknown, shared: boolean, transfer: Set<ArrayBuffer>): Crossing {
  if (!type.wire) return { plain: value };
  const { header, parts } = type.wire.encode(value);
  const moved = parts.map((p) => {
    const ownsBuffer = p.buffer instanceof ArrayBuffer && p.byteOffset === 0 && p.byteLength === p.buffer.byteLength;
    if (ownsBuffer && !shared) {
      transfer.add(p.buffer);
      return p;
    }
    if (!(p.buffer instanceof ArrayBuffer)) return p; // a SharedArrayBuffer is shared by the clone, never moved
    const copy = p.slice();
    transfer.add(copy.buffer);
    return copy;
  });
  return { wire: { header, parts: moved } };
}

/** Decodes what crossed; a plain value must satisfy the port type's schema. `where` names the port. */
export function decodeCrossing(type: MessageType<unknown>, c: Crossing, where: string): unknown {
  if ('absent' in c) return undefined;
  if ('multi' in c) return c.multi.map((x) => decodeCrossing(type, x, where));
  if ('wire' in c) {
    if (!type.wire) throw new Error(`${where}: a ${type.name} arrived in wire form, but the type has no codec here`);
    try {
      return type.wire.decode(c.wire);
    } catch (e) {
      throw new Error(`${where}: the ${type.name} that arrived does not decode: ${(e as Error).message}`);
    }
  }
  const checked = type.schema.safeParse(c.plain);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new Error(`${where}: the value that arrived is not a ${type.name}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return c.plain;
}

/** Every ArrayBuffer in `transfer` as the list postMessage takes. */
export function transferList(transfer: Set<ArrayBuffer>): ArrayBuffer[] {
  return [...transfer];
}
