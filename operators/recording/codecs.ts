import { Codec } from 'node-av';
import { AV_CODEC_ID_AV1, AV_CODEC_ID_H264, AV_CODEC_ID_VP8, AV_CODEC_ID_VP9, type AVCodecID, type FFDecoderCodec } from 'node-av/constants';
import type { VideoCodecName } from '../messages/index.ts';

/** FFmpeg's id for each codec an EncodedFrame can carry. */
export const CODEC_IDS: Record<VideoCodecName, AVCodecID> = { VP8: AV_CODEC_ID_VP8, VP9: AV_CODEC_ID_VP9, H264: AV_CODEC_ID_H264, AV1: AV_CODEC_ID_AV1 };

export function codecNameOf(id: AVCodecID): VideoCodecName | undefined {
  return (Object.keys(CODEC_IDS) as VideoCodecName[]).find((n) => CODEC_IDS[n] === id);
}

/**
 * The decoder for a stream. FFmpeg's native `av1` decoder only drives hardware accelerators, so AV1 goes
 * to libdav1d; everything else to FFmpeg's default decoder for the codec id.
 */
export function findDecoder(id: AVCodecID): Codec | null {
  if (id === AV_CODEC_ID_AV1) return Codec.findDecoderByName('libdav1d' as FFDecoderCodec);
  return Codec.findDecoder(id);
}

export type Container = 'webm' | 'matroska' | 'mp4';

/** `auto`: WebM for VP8/VP9/AV1 (what browsers play), Matroska for H264 (WebM cannot hold it). */
export function chooseContainer(codec: VideoCodecName, wanted: 'auto' | 'webm' | 'mkv' | 'mp4'): Container {
  if (wanted === 'auto') return codec === 'H264' ? 'matroska' : 'webm';
  if (wanted === 'webm' && codec === 'H264') throw new Error('WebM cannot hold H264; use container mkv or mp4');
  return wanted === 'mkv' ? 'matroska' : wanted;
}

export const EXTENSIONS: Record<Container, string> = { webm: 'webm', matroska: 'mkv', mp4: 'mp4' };
