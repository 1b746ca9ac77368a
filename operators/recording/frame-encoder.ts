import { SoftwareVideoEncoder } from '../media/video-encoder.ts';
import type { VideoCodecName, VideoFrame } from '../messages/index.ts';

export interface EncodedPacket {
  data: Uint8Array;
  keyframe: boolean;
  /** ms, the VideoFrame's own timestamp. */
  timestamp: number;
}

export interface EncoderOptions {
  codec: VideoCodecName;
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  /** Codec configuration in `extradata` instead of in-band (what Matroska and MP4 want). */
  globalHeader: boolean;
  /** A keyframe at least this often (frames), so a file can be seeked and a cut one still decodes. */
  keyframeInterval: number;
}

/**
 * VideoFrames to compressed frames for a file: the shared software encoder (operators/media) opened for
 * recording, each packet stamped with its VideoFrame's own timestamp (ms).
 */
export class FrameEncoder {
  private constructor(readonly options: EncoderOptions, private readonly encoder: SoftwareVideoEncoder) {}

  get extradata(): Buffer | null { return this.encoder.extradata; }

  static async open(options: EncoderOptions): Promise<FrameEncoder> {
    return new FrameEncoder(options, new SoftwareVideoEncoder({
      codec: options.codec, use: 'recording', width: options.width, height: options.height, fps: options.fps,
      bitrateBps: options.bitrateKbps * 1000, keyframeInterval: options.keyframeInterval, ptsUnit: 'ms', globalHeader: options.globalHeader,
    }));
  }

  async encode(vf: VideoFrame): Promise<EncodedPacket[]> {
    return (await this.encoder.encode(vf, vf.timestamp)).map(asPacket);
  }

  /** What the encoder still holds, at the end of the stream. */
  async flush(): Promise<EncodedPacket[]> {
    return (await this.encoder.flush()).map(asPacket);
  }

  close(): void {
    this.encoder.close();
  }
}

function asPacket(p: { data: Buffer; keyframe: boolean; pts: number }): EncodedPacket {
  return { data: new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength), keyframe: p.keyframe, timestamp: p.pts };
}
