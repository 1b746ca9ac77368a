import type { EncodedFrame } from '../messages/index.ts';
import type { CodecName } from './codecs.ts';
import type { EncodedFrame as AssembledFrame } from './frame-assembler.ts';

/** Metadata beside each message on the `encoded` output. */
export interface EncodedMeta {
  sessionId: string;
  codec: CodecName;
  /** performance.timeOrigin + performance.now() at the frame's last packet, ms (end of stream: when it closed). */
  arrivalTime: number;
  rtpTimestamp: number;
  /** 0, 1, 2... per session: a consumer whose queue dropped a frame sees the gap and waits for a keyframe. */
  seq: number;
}

/**
 * Compressed frames on their way to WebRTCClientOp's `encoded` output. Unlike decoded pictures none may be
 * skipped (a recording would break until the next keyframe), so this is a FIFO that each compute drains
 * in full; with nothing connected the emits go nowhere and the FIFO stays empty. `limit` only guards
 * against a compute that never comes (the app stopping): the oldest give way and are counted.
 */
export class EncodedOutbox {
  private items: { frame: EncodedFrame; meta: EncodedMeta }[] = [];
  /** Per session: the next sequence number and the last timestamp sent. */
  private readonly streams = new Map<string, { seq: number; timestamp: number }>();
  dropped = 0;

  constructor(private readonly limit = 1024) {}

  get size(): number { return this.items.length; }

  push(sessionId: string, codec: CodecName, assembled: AssembledFrame, width: number, height: number): void {
    const frame: EncodedFrame = {
      codec, keyframe: assembled.keyframe, timestamp: assembled.rtpTimestamp / 90, data: assembled.data as EncodedFrame['data'], streamId: sessionId,
      // The size of the last decoded picture; 0 before the first one (a recorder learns it from the keyframe).
      ...(width > 0 && height > 0 ? { width, height } : {}),
    };
    this.add(frame, { sessionId, codec, arrivalTime: assembled.arrivalTime, rtpTimestamp: assembled.rtpTimestamp, seq: this.nextSeq(sessionId, frame.timestamp) });
  }

  /** The session closed: one empty end-of-stream message, so a recorder finishes that file. */
  end(sessionId: string, codec: CodecName): void {
    const stream = this.streams.get(sessionId);
    if (!stream) return; // it never sent a frame
    const frame: EncodedFrame = { codec, keyframe: false, timestamp: stream.timestamp, data: new Uint8Array(0), streamId: sessionId, endOfStream: true };
    this.add(frame, { sessionId, codec, arrivalTime: performance.timeOrigin + performance.now(), rtpTimestamp: Math.round(stream.timestamp * 90), seq: stream.seq });
    this.streams.delete(sessionId);
  }

  /** Everything waiting, oldest first; the outbox is empty afterwards. */
  drain(): { frame: EncodedFrame; meta: EncodedMeta }[] {
    const out = this.items;
    this.items = [];
    return out;
  }

  clear(): void { this.items = []; this.streams.clear(); }

  private add(frame: EncodedFrame, meta: EncodedMeta): void {
    if (this.items.length >= this.limit) { this.items.shift(); this.dropped++; }
    this.items.push({ frame, meta });
  }

  private nextSeq(sessionId: string, timestamp: number): number {
    const stream = this.streams.get(sessionId) ?? { seq: 0, timestamp };
    const seq = stream.seq;
    this.streams.set(sessionId, { seq: seq + 1, timestamp });
    return seq;
  }
}
