import { BitStreamFilter, BitStreamFilterContext, CodecContext, FFmpegError, Frame, Packet, Rational } from 'node-av';
import { AV_PKT_DATA_NEW_EXTRADATA, AV_PKT_FLAG_KEY, AVERROR_EAGAIN, AVMEDIA_TYPE_VIDEO } from 'node-av/constants';
import type { VideoCodecName } from '../messages/index.ts';
import { CODEC_IDS, findDecoder } from './codecs.ts';

export interface StreamFacts {
  width: number;
  height: number;
  /** Codec configuration the container's header needs (H264 SPS/PPS, AV1 sequence header); null for VP8/VP9. */
  extradata: Buffer | null;
}

/**
 * What a container header needs before the first frame is written, learnt from the first keyframe: its
 * size (decoded once, since a WebRTC stream's first keyframe arrives before any picture) and, for H264
 * and AV1, the codec configuration, taken out with FFmpeg's `extract_extradata` bitstream filter.
 */
export async function probeKeyframe(codec: VideoCodecName, data: Uint8Array): Promise<StreamFacts> {
  const packet = new Packet();
  packet.alloc();
  try {
    packet.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    packet.flags = AV_PKT_FLAG_KEY as typeof packet.flags;
    const { width, height } = await decodeSize(codec, packet);
    const extradata = codec === 'H264' || codec === 'AV1' ? await extractExtradata(codec, packet) : null;
    if ((codec === 'H264' || codec === 'AV1') && !extradata) throw new Error(`the first ${codec} keyframe carries no ${codec === 'H264' ? 'SPS/PPS' : 'sequence header'}`);
    return { width, height, extradata };
  } finally {
    packet.free();
  }
}

async function decodeSize(codec: VideoCodecName, packet: Packet): Promise<{ width: number; height: number }> {
  const decoder = findDecoder(CODEC_IDS[codec]);
  if (!decoder) throw new Error(`FFmpeg in node-av has no ${codec} decoder`);
  const ctx = new CodecContext();
  const frame = new Frame();
  frame.alloc();
  try {
    ctx.allocContext3(decoder);
    ctx.threadCount = 1;
    FFmpegError.throwIfError(await ctx.open2(decoder, null), `opening the ${codec} decoder`);
    const sent = await ctx.sendPacket(packet);
    if (sent < 0 && sent !== AVERROR_EAGAIN) throw new Error(`the first ${codec} keyframe does not decode: ${FFmpegError.strerror(sent)}`);
    let got = await ctx.receiveFrame(frame);
    if (got === AVERROR_EAGAIN) { await ctx.sendPacket(null); got = await ctx.receiveFrame(frame); }
    if (got < 0) throw new Error(`the first ${codec} keyframe gives no picture: ${FFmpegError.strerror(got)}`);
    return { width: frame.width, height: frame.height };
  } finally {
    frame.free();
    ctx.freeContext();
  }
}

async function extractExtradata(codec: VideoCodecName, packet: Packet): Promise<Buffer | null> {
  const filter = BitStreamFilter.getByName('extract_extradata');
  if (!filter) throw new Error('FFmpeg in node-av has no extract_extradata bitstream filter');
  const bsf = new BitStreamFilterContext();
  const out = new Packet();
  out.alloc();
  try {
    FFmpegError.throwIfError(bsf.alloc(filter), 'extract_extradata');
    const par = bsf.inputCodecParameters!;
    par.codecType = AVMEDIA_TYPE_VIDEO;
    par.codecId = CODEC_IDS[codec];
    bsf.inputTimeBase = new Rational(1, 1000);
    FFmpegError.throwIfError(bsf.init(), 'extract_extradata init');
    const copy = packet.clone();
    try {
      FFmpegError.throwIfError(await bsf.sendPacket(copy), 'extract_extradata');
    } finally {
      copy?.free();
    }
    if (await bsf.receivePacket(out) < 0) return null;
    const side = out.getSideData(AV_PKT_DATA_NEW_EXTRADATA);
    return side && side.length > 0 ? Buffer.from(side) : null;
  } finally {
    out.free();
    bsf.free();
  }
}
