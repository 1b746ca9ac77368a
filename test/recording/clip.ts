import { allocateFrame, type VideoCodecName, type VideoFrame } from '../../operators/messages/index.ts';
import { chooseContainer, EncodedFileWriter, FrameEncoder } from '../../operators/recording/index.ts';

const BITS = 12;

/** A moving picture whose top rows carry `index` as 12 black/white blocks (read back with readIndex). */
export function codedFrame(width: number, height: number, index: number, timestamp: number): VideoFrame {
  const f = allocateFrame('yuv420p', width, height, timestamp);
  const [Y, U, V] = f.planes;
  Y.data.fill(110);
  U.data.fill(90);
  V.data.fill(150);
  // A bright bar that moves 8 px a frame: moving content for the encoder.
  const bar = (index * 8) % width;
  for (let y = height >> 2; y < height; y++) for (let x = 0; x < width / 10; x++) Y.data[y * Y.stride + ((bar + x) % width)] = 230;
  const bw = Math.floor(width / BITS), bh = Math.max(16, height >> 3);
  for (let i = 0; i < BITS; i++) {
    const v = (index >> (BITS - 1 - i)) & 1 ? 235 : 16;
    for (let y = 0; y < bh; y++) Y.data.fill(v, y * Y.stride + i * bw, y * Y.stride + (i + 1) * bw);
  }
  return f;
}

/** The index codedFrame drew, from a decoded picture (block centres, thresholded). */
export function readIndex(f: VideoFrame): number {
  const bw = Math.floor(f.width / BITS), bh = Math.max(16, f.height >> 3);
  let n = 0;
  for (let i = 0; i < BITS; i++) n = (n << 1) | (f.planes[0].data[(bh >> 1) * f.planes[0].stride + i * bw + (bw >> 1)] > 128 ? 1 : 0);
  return n;
}

/** Writes a clip of `frames` coded pictures with node-av's encoder through the recorder's own writer. */
export async function makeClip(path: string, o: { codec: VideoCodecName; container?: 'auto' | 'webm' | 'mkv' | 'mp4'; width: number; height: number; frames: number; fps: number; bitrateKbps?: number }): Promise<void> {
  const encoder = await FrameEncoder.open({ codec: o.codec, width: o.width, height: o.height, fps: o.fps, bitrateKbps: o.bitrateKbps ?? 2000, globalHeader: true, keyframeInterval: o.fps });
  const container = chooseContainer(o.codec, o.container ?? 'auto');
  const writer = await EncodedFileWriter.open({ path, codec: o.codec, container, width: o.width, height: o.height, extradata: encoder.extradata, flushIntervalMs: 1000 });
  try {
    for (let i = 0; i < o.frames; i++) {
      for (const p of await encoder.encode(codedFrame(o.width, o.height, i, (i * 1000) / o.fps))) await writer.write(p.data, p.timestamp, p.keyframe);
    }
    for (const p of await encoder.flush()) await writer.write(p.data, p.timestamp, p.keyframe);
    await writer.finish();
  } finally {
    encoder.close();
  }
}
