import type { RtpPacket } from 'werift';
import type { VideoFrame } from '../messages/index.ts';
import type { CodecInfo, CodecName } from './codecs.ts';
import { FrameAssembler, type AssemblerStats, type EncodedFrame } from './frame-assembler.ts';
import { KeyframeRequester, type KeyframeRequesterTiming } from './keyframe-requester.ts';
import { RECEIVE_TUNING } from './tuning.ts';
import { DecodeError, type DecodedPicture } from './video-decoder.ts';

/** What the pipeline needs of a decoder (node-av's in `VideoDecoder`). */
export interface PictureDecoder {
  decode(frame: EncodedFrame): Promise<DecodedPicture[]>;
  flush(): void;
  close(): Promise<void>;
}

export interface PictureMeta {
  sessionId: string;
  codec: CodecName;
  /** performance.timeOrigin + performance.now() at the frame's last packet, ms. */
  arrivalTime: number;
  decodeMs: number;
  rtpTimestamp: number;
  keyframe: boolean;
}

/** A stream's counters; they outlive a pipeline when the sender switches codec mid-session. */
export interface PipelineCounters {
  framesDecoded: number;
  decodeErrors: number;
  /** Compressed frames dropped because decoding fell behind. */
  framesDroppedBehind: number;
  /** Deltas that waited behind a frame the decoder rejected: they reference it, so they are dropped too. */
  framesDroppedAfterError: number;
  decodeMsTotal: number;
  plisSent: number;
  width: number;
  height: number;
  /** performance.now() of the first picture, 0 before it. */
  firstPictureAt: number;
  /** performance.now() of recent pictures, for the fps figure. */
  recentPictures: number[];
}

export const newCounters = (): PipelineCounters => ({
  framesDecoded: 0, decodeErrors: 0, framesDroppedBehind: 0, framesDroppedAfterError: 0, decodeMsTotal: 0, plisSent: 0,
  width: 0, height: 0, firstPictureAt: 0, recentPictures: [],
});

export interface DecodePipelineOptions {
  reorderWindowMs: number;
  maxDecodeQueue?: number;
  keyframeTiming?: KeyframeRequesterTiming;
  /** Sees each assembled compressed frame before it is queued for decoding (the op's `encoded` output). */
  onAssembled?: (frame: EncodedFrame) => void;
  /** The clock of packet arrival (tests drive the reorder window with their own). */
  now?: () => number;
  log?: { debug(m: string): void; warn(m: string): void };
}

/**
 * One stream from RTP packets to pictures, without a network: the frame assembler, keyframe requests,
 * the decode queue and delivery. The session feeds it packets and sends the PLIs it asks for.
 *
 * Decode everything, hand on the newest (findings): every assembled frame is decoded, in order, one at
 * a time; only when decoding itself falls behind (more than `maxDecodeQueue` frames wait) are the waiting
 * frames dropped, the decoder flushed and a keyframe requested. Keyframe requests back off while they
 * keep coming (KeyframeRequester), so under overload each stream still shows pictures now and then,
 * at a lower rate, instead of every stream asking for costly keyframes together; once load falls the
 * queue stays short and nothing more is dropped.
 */
export class DecodePipeline {
  readonly assembler: FrameAssembler;
  private readonly keyframes: KeyframeRequester;
  private queue: EncodedFrame[] = [];
  private pumping: Promise<void> | null = null;
  private flushPending = false;
  private closed = false;
  private readonly maxDecodeQueue: number;

  constructor(
    readonly codec: CodecInfo,
    private readonly decoder: PictureDecoder,
    sendKeyframeRequest: () => void,
    private readonly onPicture: (frame: VideoFrame, meta: Omit<PictureMeta, 'sessionId'>) => void,
    readonly counters: PipelineCounters,
    private readonly options: DecodePipelineOptions,
  ) {
    this.maxDecodeQueue = options.maxDecodeQueue ?? RECEIVE_TUNING.maxDecodeQueue;
    this.keyframes = new KeyframeRequester(
      () => { this.counters.plisSent++; sendKeyframeRequest(); },
      () => this.assembler.isWaitingForKeyframe,
      options.keyframeTiming,
      options.now,
    );
    this.assembler = new FrameAssembler(
      codec,
      (frame) => this.enqueue(frame),
      (reason) => { this.options.log?.debug(`${reason}; asking for a keyframe`); this.keyframes.request(); },
      { reorderWindowMs: options.reorderWindowMs, maxBufferedPackets: RECEIVE_TUNING.maxBufferedPackets, now: options.now },
    );
  }

  /** Joining mid-stream: ask for a keyframe at once instead of waiting for the sender's next one. */
  start(): void {
    this.keyframes.request();
  }

  push(packet: RtpPacket): void {
    if (!this.closed) this.assembler.push(packet);
  }

  get queued(): number { return this.queue.length; }
  get assemblerStats(): AssemblerStats { return this.assembler.stats; }

  /** Resolves when every frame queued so far has been decoded (or dropped). */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  private enqueue(frame: EncodedFrame): void {
    if (this.closed) return;
    this.options.onAssembled?.(frame);
    if (this.queue.length >= this.maxDecodeQueue) {
      // Decoding itself fell behind: drop what waits, restart from a keyframe (findings: only then).
      this.counters.framesDroppedBehind += this.queue.length + 1;
      this.queue = [];
      this.flushPending = true;
      this.assembler.requireKeyframe();
      this.keyframes.request();
      return;
    }
    this.queue.push(frame);
    if (!this.pumping) this.pumping = this.pump().finally(() => { this.pumping = null; });
  }

  private async pump(): Promise<void> {
    let frame: EncodedFrame | undefined;
    while (!this.closed && (frame = this.queue.shift())) {
      if (this.flushPending) { this.decoder.flush(); this.flushPending = false; }
      try {
        const pictures = await this.decoder.decode(frame);
        if (this.closed) break;
        for (const p of pictures) this.deliver(p, frame);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        this.counters.decodeErrors++;
        this.options.log?.warn(`${err.message}; waiting for a keyframe`);
        const keyframes = this.queue.filter((f) => f.keyframe);
        this.counters.framesDroppedAfterError += this.queue.length - keyframes.length;
        this.queue = keyframes;
        this.assembler.requireKeyframe();
        this.keyframes.request();
      }
    }
  }

  private deliver({ frame, decodeMs }: DecodedPicture, source: EncodedFrame): void {
    const c = this.counters;
    const now = performance.now();
    if (!c.firstPictureAt) c.firstPictureAt = now;
    c.framesDecoded++;
    c.decodeMsTotal += decodeMs;
    c.width = frame.width;
    c.height = frame.height;
    c.recentPictures.push(now);
    while (c.recentPictures.length > 0 && now - c.recentPictures[0] > RECEIVE_TUNING.fpsWindowMs) c.recentPictures.shift();
    this.onPicture(frame, { codec: this.codec.name, arrivalTime: source.arrivalTime, decodeMs, rtpTimestamp: source.rtpTimestamp, keyframe: source.keyframe });
  }

  /** Stops at once and frees the decoder once no decode is in flight. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.keyframes.close();
    this.assembler.close();
    this.queue = [];
    await this.decoder.close();
  }
}
