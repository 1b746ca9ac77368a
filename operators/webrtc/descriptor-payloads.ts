/** One frame's compressed bytes as the decoder takes them, and whether it decodes alone. */
export interface DepacketizedFrame {
  data: Buffer;
  keyframe: boolean;
}

/** What a codec's reader (VP8, VP9) finds in one payload's descriptor. */
export interface PayloadDescriptor {
  /** Where the codec's bytes start. */
  offset: number;
  /** This packet is the first of a frame (VP8: S = 1 and PID = 0; VP9: B = 1). */
  startsFrame: boolean;
  /** This packet makes the frame a keyframe. */
  keyframe: boolean;
}

/**
 * One frame's payloads, each behind a payload descriptor, joined into one buffer: descriptors read in a
 * first pass (sizes and checks; a reader throws on a malformed one), bytes copied once in a second.
 * Empty payloads (padding) carry nothing.
 */
export function joinAfterDescriptors(payloads: readonly Uint8Array[], read: (payload: Uint8Array) => PayloadDescriptor): DepacketizedFrame {
  const offsets = new Array<number>(payloads.length);
  let size = 0;
  let keyframe = false;
  for (let i = 0; i < payloads.length; i++) {
    const p = payloads[i];
    if (p.length === 0) { offsets[i] = 0; continue; }
    const d = read(p);
    offsets[i] = d.offset;
    size += p.length - d.offset;
    if (d.keyframe) keyframe = true;
  }
  const out = Buffer.allocUnsafe(size);
  let w = 0;
  for (let i = 0; i < payloads.length; i++) {
    const p = payloads[i];
    if (p.length === 0) continue;
    out.set(p.subarray(offsets[i]), w);
    w += p.length - offsets[i];
  }
  return { data: out, keyframe };
}
