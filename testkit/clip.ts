import { randomFillSync } from 'node:crypto';
import { allocateFrame, type VideoCodecName, type VideoFrame } from '../operators/messages/index.ts';
import { chooseContainer, EncodedFileWriter, FrameEncoder } from '../operators/recording/index.ts';

const BITS = 12;

/**
 * What a clip shows besides its frame number: `flat` (a grey field, a moving bar: tiny files, fine for
 * tests of order and timing) or `camera` (a detailed scene panning 3 px a frame plus fresh sensor grain in
 * a band: what a webcam or a recorded procedure gives an encoder, several Mbps at 1080p).
 */
export type ClipContent = 'flat' | 'camera';

/** A fixed detailed scene, twice as wide as the picture so it can pan; made once per width. */
const scenes = new Map<number, Uint8Array>();
function scene(width: number, height: number): Uint8Array {
  const key = width * 100_000 + height;
  let s = scenes.get(key);
  if (!s) {
    s = new Uint8Array(width * 2 * height);
    randomFillSync(s);
    // Blur the noise into texture (a scene has structure, not white noise) and keep it mid-grey.
    for (let i = 1; i < s.length; i++) s[i] = (s[i] + s[i - 1] * 3) >> 2;
    for (let i = 0; i < s.length; i++) s[i] = 60 + (s[i] >> 1);
    scenes.set(key, s);
  }
  return s;
}

/** A moving picture whose top rows carry `index` as 12 black/white blocks (read back with readIndex). */
export function codedFrame(width: number, height: number, index: number, timestamp: number, content: ClipContent = 'flat'): VideoFrame {
  const f = allocateFrame('yuv420p', width, height, timestamp);
  const [Y, U, V] = f.planes;
  Y.data.fill(110);
  U.data.fill(90);
  V.data.fill(150);
  if (content === 'camera') {
    const s = scene(width, height), pan = (index * 3) % width;
    for (let y = 0; y < height; y++) Y.data.set(s.subarray(y * width * 2 + pan, y * width * 2 + pan + width), y * Y.stride);
    for (let y = 0; y < U.data.length / U.stride; y++) for (let x = 0; x < U.stride; x++) {
      U.data[y * U.stride + x] = 90 + (s[y * 2 * width * 2 + 2 * x + pan] >> 4);
      V.data[y * V.stride + x] = 150 - (s[(y * 2 + 1) * width * 2 + 2 * x + pan] >> 4);
    }
    // Sensor grain: a band of fresh noise every frame, which no motion search can predict.
    const band = Math.floor(height * 0.1);
    randomFillSync(Y.data, Math.floor(height * 0.45) * Y.stride, band * Y.stride);
  }
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
export async function makeClip(path: string, o: { codec: VideoCodecName; container?: 'auto' | 'webm' | 'mkv' | 'mp4'; width: number; height: number; frames: number; fps: number; bitrateKbps?: number; content?: ClipContent }): Promise<void> {
  const encoder = await FrameEncoder.open({ codec: o.codec, width: o.width, height: o.height, fps: o.fps, bitrateKbps: o.bitrateKbps ?? 2000, globalHeader: true, keyframeInterval: o.fps });
  const container = chooseContainer(o.codec, o.container ?? 'auto');
  const writer = await EncodedFileWriter.open({ path, codec: o.codec, container, width: o.width, height: o.height, extradata: encoder.extradata, flushIntervalMs: 1000 });
  try {
    for (let i = 0; i < o.frames; i++) {
      for (const p of await encoder.encode(codedFrame(o.width, o.height, i, (i * 1000) / o.fps, o.content))) await writer.write(p.data, p.timestamp, p.keyframe);
    }
    for (const p of await encoder.flush()) await writer.write(p.data, p.timestamp, p.keyframe);
    await writer.finish();
  } finally {
    encoder.close();
  }
}
