import type { VideoFrame } from '../../messages/index.ts';
import { RING_SIZE } from '../video-decoder.ts';

/**
 * A decoded picture on its way from a session worker: where it lies in the session's shared ring and what
 * it is. The ring's memory crosses once (`ring`, on a slot's first use or when the picture size changes);
 * after that a picture is a few numbers.
 */
export interface SharedPicture {
  readonly slot: number;
  /** Which write of the slot this is: the reader drops a picture whose slot was written again before it arrived. */
  readonly generation: number;
  readonly frame: Omit<VideoFrame, 'planes'>;
  readonly strides: readonly number[];
  readonly lengths: readonly number[];
  /** The slot's new memory, and the ring's generation words on the first picture. */
  readonly ring?: { readonly buffer: SharedArrayBuffer; readonly generations?: SharedArrayBuffer };
}

/**
 * Why a shared ring and not a fresh transferred buffer per picture (measured, issue 15): a 720p picture is
 * 1.4 MB, and a new ArrayBuffer per picture at 30 fps per stream is hundreds of MB/s of external memory
 * that both threads' garbage collectors chase (GC took over a quarter of the operator's thread and a tenth
 * of each worker). Here each session owns RING_SIZE slots of shared memory, written in turn on the
 * worker's thread, so after the first RING_SIZE pictures nothing is allocated.
 *
 * The promise to consumers is the decoder's (video-decoder.ts RING_SIZE): a picture's planes stay valid
 * until RING_SIZE further pictures of the session have been decoded. The copy into shared memory happens on
 * the worker, from the decoder's own ring (node-av's frames cannot be backed by shared memory, and reading
 * them straight from FFmpeg's pictures costs more in garbage collection: media/decoded-picture.ts).
 */
export class PictureRingWriter {
  private readonly slots: (Uint8Array | null)[] = new Array(RING_SIZE).fill(null);
  private readonly generations = new Int32Array(new SharedArrayBuffer(RING_SIZE * 4));
  private sentGenerations = false;
  private next = 0;
  private written = 0;

  write({ planes, ...frame }: VideoFrame): SharedPicture {
    const size = planes.reduce((n, p) => n + p.data.byteLength, 0);
    const slot = this.next;
    this.next = (this.next + 1) % RING_SIZE;
    let bytes = this.slots[slot];
    let ring: SharedPicture['ring'];
    if (!bytes || bytes.byteLength !== size) {
      bytes = new Uint8Array(new SharedArrayBuffer(size));
      this.slots[slot] = bytes;
      ring = { buffer: bytes.buffer as SharedArrayBuffer };
      if (!this.sentGenerations) { ring = { ...ring, generations: this.generations.buffer as SharedArrayBuffer }; this.sentGenerations = true; }
    }
    const generation = ++this.written;
    // Mark the slot as being rewritten first, so a reader late by a whole ring sees the change.
    Atomics.store(this.generations, slot, 0);
    let at = 0;
    for (const p of planes) { bytes.set(p.data, at); at += p.data.byteLength; }
    Atomics.store(this.generations, slot, generation);
    return { slot, generation, frame, strides: planes.map((p) => p.stride), lengths: planes.map((p) => p.data.byteLength), ring };
  }
}

/** The operator thread's side of one session's ring. */
export class PictureRingReader {
  private readonly slots: (SharedArrayBuffer | null)[] = new Array(RING_SIZE).fill(null);
  private generations: Int32Array | null = null;

  /** The picture as a VideoFrame whose planes are views into the shared slot; null if the slot was already written again. */
  read(p: SharedPicture): VideoFrame | null {
    if (p.ring) {
      this.slots[p.slot] = p.ring.buffer;
      if (p.ring.generations) this.generations = new Int32Array(p.ring.generations);
    }
    const buffer = this.slots[p.slot];
    if (!buffer || !this.generations || Atomics.load(this.generations, p.slot) !== p.generation) return null;
    let at = 0;
    const planes = p.lengths.map((n, i) => {
      const data = new Uint8Array(buffer, at, n) as unknown as VideoFrame['planes'][number]['data'];
      at += n;
      return { data, stride: p.strides[i] };
    });
    return { ...p.frame, planes };
  }
}
