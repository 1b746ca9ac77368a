import { access, constants as fsConstants } from 'node:fs/promises';
import { BitStreamFilter, BitStreamFilterContext, CodecContext, FFmpegError, FormatContext, Frame, Packet, type Stream } from 'node-av';
import {
  AV_NOPTS_VALUE, AV_PKT_FLAG_KEY, AVDISCARD_ALL, AVERROR_EAGAIN, AVERROR_EOF, AVMEDIA_TYPE_VIDEO, AVSEEK_FLAG_BACKWARD,
} from 'node-av/constants';
import { PictureConverter, type PictureFormat } from '../media/decoded-picture.ts';
import type { VideoCodecName, VideoFrame } from '../messages/index.ts';
import { codecNameOf, findDecoder } from './codecs.ts';

export class ReplayError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'ReplayError';
  }
}

/** A compressed frame as the file holds it, in the EncodedFrame layout (H264 as Annex B). */
export interface FilePacket {
  data: Uint8Array;
  keyframe: boolean;
  /** ms from the file's start. */
  timestamp: number;
}

/**
 * How many decoded pictures stay valid at once: a VideoFrame's planes are views into a ring of pictures
 * the reader owns (media/decoded-picture.ts) until this many further pictures have been decoded.
 */
export const PICTURE_RING = 8;

/**
 * The video stream of any file FFmpeg reads, demuxed and decoded with node-av's low-level API: the
 * high-level `Demuxer.packets()` needs Promise.withResolvers (Node >= 22) and on Node 20 ends at once
 * without an error (webrtc-findings trap 3). `readFrame` and `sendPacket` are async, so demuxing and
 * decoding run on libuv's pool.
 */
export class VideoFileReader {
  private readonly packet = new Packet();
  /** What the decoder hands back; its picture is copied out at once, so one Frame is enough. */
  private readonly frame = new Frame();
  private readonly pictures: PictureConverter;
  private annexB: BitStreamFilterContext | null = null;
  private readonly annexBOut = new Packet();
  private lengthPrefixed: boolean | undefined;
  private draining = false;
  private closed = false;
  readonly codec: VideoCodecName | undefined;
  readonly width: number;
  readonly height: number;
  /** The file's frame rate as FFmpeg guesses it (0 when unknown). */
  readonly fps: number;
  /** ms, 0 when the container does not say. */
  readonly durationMs: number;

  private constructor(readonly path: string, private readonly fmt: FormatContext, private readonly stream: Stream, private readonly dec: CodecContext, readonly codecName: string, readonly outputFormat: PictureFormat) {
    this.packet.alloc();
    this.annexBOut.alloc();
    this.frame.alloc();
    this.pictures = new PictureConverter(outputFormat, PICTURE_RING, (message, code) => new ReplayError(path, `${message}: ${FFmpegError.strerror(code)}`));
    const par = stream.codecpar;
    this.codec = codecNameOf(par.codecId);
    this.width = par.width;
    this.height = par.height;
    const r = stream.avgFrameRate.num > 0 ? stream.avgFrameRate : stream.rFrameRate;
    this.fps = r.den > 0 ? r.num / r.den : 0;
    const d = stream.duration;
    this.durationMs = d > 0n && d !== AV_NOPTS_VALUE ? Number(d) * 1000 * stream.timeBase.num / stream.timeBase.den : 0;
  }

  static async open(path: string, outputFormat: PictureFormat = 'yuv420p'): Promise<VideoFileReader> {
    try {
      await access(path, fsConstants.R_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ReplayError(path, code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable (permission denied)' : `cannot be read (${code})`);
    }
    const fmt = new FormatContext();
    let ret = await fmt.openInput(path, null, null);
    if (ret < 0) { fmt.freeContext(); throw new ReplayError(path, `FFmpeg cannot read it as a media file: ${FFmpegError.strerror(ret)}`); }
    const fail = async (message: string) => { await fmt.closeInput(); fmt.freeContext(); return new ReplayError(path, message); };
    ret = await fmt.findStreamInfo(null);
    if (ret < 0) throw await fail(`cannot read its stream information: ${FFmpegError.strerror(ret)}`);
    const index = fmt.findBestStream(AVMEDIA_TYPE_VIDEO);
    if (index < 0) throw await fail('it has no video stream');
    const stream = fmt.streams[index];
    for (const s of fmt.streams) if (s.index !== index) s.discard = AVDISCARD_ALL; // only the video is read (wrappers are new objects each time: compare indices)
    const codec = findDecoder(stream.codecpar.codecId);
    const codecName = stream.codecpar.codecId.toString();
    if (!codec) throw await fail(`FFmpeg in node-av has no decoder for its video codec (codec id ${codecName})`);
    const dec = new CodecContext();
    dec.allocContext3(codec);
    dec.parametersToContext(stream.codecpar);
    dec.pktTimebase = stream.timeBase;
    dec.threadCount = 0; // FFmpeg picks: a file has no latency budget, throughput counts
    ret = await dec.open2(codec, null);
    if (ret < 0) { dec.freeContext(); throw await fail(`cannot open the ${codec.name} decoder: ${FFmpegError.strerror(ret)}`); }
    return new VideoFileReader(path, fmt, stream, dec, codec.name ?? codecName, outputFormat);
  }

  /** Goes back to `ms` (the keyframe at or before it); pictures before it still come and the caller skips them. */
  async seek(ms: number): Promise<void> {
    const tb = this.stream.timeBase;
    const ts = BigInt(Math.floor((ms / 1000) * tb.den / tb.num));
    const ret = await this.fmt.seekFrame(this.stream.index, ts, AVSEEK_FLAG_BACKWARD);
    if (ret < 0) throw new ReplayError(this.path, `cannot seek to ${ms} ms: ${FFmpegError.strerror(ret)}`);
    this.dec.flushBuffers();
    this.annexB?.flush();
    this.draining = false;
  }

  /**
   * The next compressed frame of the video stream and the pictures it completed (a decoder may hold some
   * back, they come with later packets and at the end). null: the file is done and the decoder drained.
   * `withPacket: false` skips handing out the compressed frame (its copy, and for H264 the Annex B
   * conversion), for a caller that only wants pictures.
   */
  async next(withPacket = true): Promise<{ packet: FilePacket | null; pictures: VideoFrame[] } | null> {
    if (this.closed) return null;
    if (this.draining) {
      const pictures = this.receive();
      return pictures.length ? { packet: null, pictures } : null;
    }
    for (;;) {
      const ret = await this.fmt.readFrame(this.packet);
      if (ret === AVERROR_EOF) {
        this.draining = true;
        await this.dec.sendPacket(null);
        const pictures = this.receive();
        return pictures.length ? { packet: null, pictures } : null;
      }
      if (ret < 0) throw new ReplayError(this.path, `reading failed: ${FFmpegError.strerror(ret)}`);
      if (this.packet.streamIndex !== this.stream.index) { this.packet.unref(); continue; }
      const packet = withPacket ? this.toFilePacket() : null;
      let sent = await this.dec.sendPacket(this.packet);
      const pictures: VideoFrame[] = [];
      // A threaded decoder may be full: take what it has, then it takes the packet.
      if (sent === AVERROR_EAGAIN) { pictures.push(...this.receive()); sent = await this.dec.sendPacket(this.packet); }
      this.packet.unref();
      if (sent < 0) throw new ReplayError(this.path, `the ${this.codecName} decoder rejected a frame: ${FFmpegError.strerror(sent)}`);
      pictures.push(...this.receive());
      return { packet, pictures };
    }
  }

  private toFilePacket(): FilePacket {
    const p = this.packet;
    const tb = this.stream.timeBase;
    const pts = p.pts !== AV_NOPTS_VALUE ? p.pts : p.dts;
    const timestamp = pts === AV_NOPTS_VALUE ? 0 : Number(pts) * 1000 * tb.num / tb.den;
    const keyframe = (p.flags & AV_PKT_FLAG_KEY) !== 0;
    return { data: this.codec === 'H264' ? this.annexBData(p) : new Uint8Array(p.data!), keyframe, timestamp };
  }

  /** MP4 and Matroska store H264 as length-prefixed NAL units; EncodedFrame wants Annex B (h264_mp4toannexb). */
  private annexBData(p: Packet): Uint8Array {
    // Read once: each codecpar.extradata read copies it. avcC extradata starts with version 1.
    this.lengthPrefixed ??= this.stream.codecpar.extradata?.[0] === 1;
    if (!this.lengthPrefixed) return new Uint8Array(p.data!); // already Annex B (raw .h264, MPEG-TS)
    if (!this.annexB) {
      const filter = BitStreamFilter.getByName('h264_mp4toannexb')!;
      this.annexB = new BitStreamFilterContext();
      FFmpegError.throwIfError(this.annexB.alloc(filter), 'h264_mp4toannexb');
      this.stream.codecpar.copy(this.annexB.inputCodecParameters!);
      this.annexB.inputTimeBase = this.stream.timeBase;
      FFmpegError.throwIfError(this.annexB.init(), 'h264_mp4toannexb init');
    }
    const copy = p.clone()!;
    FFmpegError.throwIfError(this.annexB.sendPacketSync(copy), 'h264_mp4toannexb');
    copy.free();
    const parts: Buffer[] = [];
    while (this.annexB.receivePacketSync(this.annexBOut) >= 0) { parts.push(Buffer.from(this.annexBOut.data!)); this.annexBOut.unref(); }
    const out = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  private receive(): VideoFrame[] {
    const out: VideoFrame[] = [];
    for (;;) {
      const frame = this.frame;
      const got = this.dec.receiveFrameSync(frame);
      if (got === AVERROR_EAGAIN || got === AVERROR_EOF) break;
      if (got < 0) throw new ReplayError(this.path, `the ${this.codecName} decoder failed: ${FFmpegError.strerror(got)}`);
      out.push(this.toVideoFrame(frame));
    }
    return out;
  }

  private toVideoFrame(frame: Frame): VideoFrame {
    const tb = this.stream.timeBase;
    const pts = frame.bestEffortTimestamp !== AV_NOPTS_VALUE ? frame.bestEffortTimestamp : frame.pts;
    return this.pictures.toVideoFrame(frame, pts === AV_NOPTS_VALUE ? 0 : Number(pts) * 1000 * tb.num / tb.den);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dec.freeContext();
    await this.fmt.closeInput();
    this.fmt.freeContext();
    this.packet.free();
    this.annexBOut.free();
    this.annexB?.free();
    this.pictures.close();
  }
}
