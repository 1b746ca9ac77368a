import { VideoFrame } from '../../messages/index.ts';

/** A VideoFrame on its way from a session worker: the VideoFrame wire header and every plane in one buffer. */
export interface PackedPicture {
  readonly header: unknown;
  readonly buffer: ArrayBuffer;
  readonly lengths: readonly number[];
}

const wire = VideoFrame.wire!;

/**
 * Packs a decoded picture for transfer. Its planes are views into the decoder's own memory (or its
 * RGBA ring), which must not be detached, so they are copied once, on the worker's thread, into one
 * fresh buffer that is then moved (transferred) to the operator's thread: no copy there.
 */
export function packPicture(frame: VideoFrame): PackedPicture {
  const { header, parts } = wire.encode(frame);
  // Not zero-filled (every byte is written below), and its own ArrayBuffer, so it can be transferred.
  const bytes = Buffer.allocUnsafeSlow(parts.reduce((n, p) => n + p.byteLength, 0));
  const buffer = bytes.buffer as ArrayBuffer;
  let at = 0;
  for (const p of parts) { bytes.set(p, at); at += p.byteLength; }
  return { header, buffer, lengths: parts.map((p) => p.byteLength) };
}

/** The VideoFrame again, its planes views into the transferred buffer. */
export function unpackPicture({ header, buffer, lengths }: PackedPicture): VideoFrame {
  let at = 0;
  const parts = lengths.map((n) => { const view = new Uint8Array(buffer, at, n); at += n; return view; });
  return wire.decode({ header, parts });
}
