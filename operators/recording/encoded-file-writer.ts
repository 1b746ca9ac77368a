import { rename } from 'node:fs/promises';
import { Dictionary, FFmpegError, FormatContext, Packet, Rational, type Stream } from 'node-av';
import { AV_PKT_FLAG_KEY, AVMEDIA_TYPE_VIDEO } from 'node-av/constants';
import type { VideoCodecName } from '../messages/index.ts';
import { CODEC_IDS, type Container } from './codecs.ts';

export interface WriterOptions {
  /** The finished file's name; while writing it is `<path>.part`. */
  path: string;
  codec: VideoCodecName;
  container: Container;
  width: number;
  height: number;
  extradata: Buffer | null;
  /** How often (ms) what was written reaches the disk: a killed process loses at most about this much. */
  flushIntervalMs: number;
}

/** A failure that names the file and what FFmpeg said. */
export class RecordingError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'RecordingError';
  }
}

const MS = new Rational(1, 1000);

/**
 * One stream's file, written with FFmpeg's muxers and never re-encoded.
 *
 * Streamable on purpose: Matroska/WebM writes a cluster at least every `flushIntervalMs` and MP4 is
 * fragmented (empty moov, a fragment per interval), with every packet flushed to the file, so the
 * `.part` file a killed process leaves behind plays up to its last complete cluster or fragment. Only
 * `finish()` (trailer, cues/index) renames it to its real name: a file under that name is whole.
 */
export class EncodedFileWriter {
  private readonly packet = new Packet();
  private firstTimestamp = NaN;
  private lastPts = -1;
  private finished: Promise<void> | null = null;
  framesWritten = 0;
  bytesWritten = 0;

  private constructor(readonly options: WriterOptions, private readonly fmt: FormatContext, private readonly stream: Stream) {
    this.packet.alloc();
  }

  get partPath(): string { return `${this.options.path}.part`; }

  static async open(options: WriterOptions): Promise<EncodedFileWriter> {
    const part = `${options.path}.part`;
    const fmt = new FormatContext();
    const fail = (what: string, code: number) => {
      fmt.freeContext();
      return new RecordingError(part, `${what}: ${FFmpegError.strerror(code)}`);
    };
    let ret = fmt.allocOutputContext2(null, options.container, part);
    if (ret < 0) throw fail(`cannot make a ${options.container} muxer`, ret);
    const stream = fmt.newStream(null);
    const par = stream.codecpar;
    par.codecType = AVMEDIA_TYPE_VIDEO;
    par.codecId = CODEC_IDS[options.codec];
    par.width = options.width;
    par.height = options.height;
    if (options.extradata) par.extradata = options.extradata;
    stream.timeBase = MS;
    ret = await fmt.openOutput();
    if (ret < 0) throw fail('cannot create the file', ret);
    const headerOptions: Record<string, string> = options.container === 'mp4'
      ? { movflags: '+frag_keyframe+empty_moov+default_base_moof', frag_duration: String(options.flushIntervalMs * 1000), flush_packets: '1' }
      : { cluster_time_limit: String(options.flushIntervalMs), flush_packets: '1' };
    const dict = Dictionary.fromObject(headerOptions);
    ret = await fmt.writeHeader(dict);
    dict.free();
    if (ret < 0) {
      await fmt.closeOutput().catch(() => undefined);
      throw fail(`cannot write the ${options.container} header`, ret);
    }
    return new EncodedFileWriter(options, fmt, stream);
  }

  /** One compressed frame, in decode order; `timestampMs` on the source's clock (its first frame is 0 in the file). */
  async write(data: Uint8Array, timestampMs: number, keyframe: boolean): Promise<void> {
    if (this.finished) throw new RecordingError(this.options.path, 'the file is already finished');
    if (Number.isNaN(this.firstTimestamp)) this.firstTimestamp = timestampMs;
    // A muxer refuses timestamps that do not increase; a source's clock may repeat one (rounding).
    let ms = Math.round(timestampMs - this.firstTimestamp);
    if (ms <= this.lastPts) ms = this.lastPts + 1;
    this.lastPts = ms;
    const tb = this.stream.timeBase;
    const pts = BigInt(Math.round((ms * tb.den) / (tb.num * 1000)));
    const p = this.packet;
    p.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    p.pts = pts;
    p.dts = pts;
    p.streamIndex = 0;
    p.flags = (keyframe ? AV_PKT_FLAG_KEY : 0) as typeof p.flags;
    const ret = await this.fmt.writeFrame(p);
    p.unref();
    if (ret < 0) throw new RecordingError(this.partPath, `writing a frame failed: ${FFmpegError.strerror(ret)}`);
    this.framesWritten++;
    this.bytesWritten += data.byteLength;
  }

  /** Trailer, close, then the real name. Safe to call more than once. */
  finish(): Promise<void> {
    if (!this.finished) this.finished = this.finishNow(true);
    return this.finished;
  }

  /** Stops writing after a failure: the `.part` file stays as the streamable rule left it, never renamed. */
  abandon(): Promise<void> {
    if (!this.finished) this.finished = this.finishNow(false);
    return this.finished;
  }

  private async finishNow(whole: boolean): Promise<void> {
    let error: Error | null = null;
    try {
      if (whole) {
        const ret = await this.fmt.writeTrailer();
        if (ret < 0) error = new RecordingError(this.partPath, `writing the trailer failed: ${FFmpegError.strerror(ret)}`);
      }
    } finally {
      await this.fmt.closeOutput().catch((e: Error) => { error ??= new RecordingError(this.partPath, `closing failed: ${e.message}`); });
      this.fmt.freeContext();
      this.packet.free();
    }
    if (error) throw error;
    if (whole) await rename(this.partPath, this.options.path);
  }
}
