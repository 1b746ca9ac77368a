import { RTCPeerConnection, SessionDescription, type MediaStreamTrack, type RTCRtpTransceiver, type RtpPacket } from 'werift';
import type { SessionStats, VideoFrame } from '../messages/index.ts';
import { answerCodecs, codecFromMime, codecsForOffer, offeredVideoCodecs, type CodecInfo, type CodecName } from './codecs.ts';
import { FrameAssembler, type EncodedFrame } from './frame-assembler.ts';
import { KeyframeRequester } from './keyframe-requester.ts';
import { offerProblem } from './offer-checks.ts';
import { parseTrickleFragment } from '../messages/trickle-fragment.ts';
import { DecodeError, VideoDecoder, type OutputFormat } from './video-decoder.ts';

export interface SessionOptions {
  iceServers: string[];
  additionalHostAddresses: string[];
  codecs: readonly CodecName[];
  outputFormat: OutputFormat;
  minBitrateKbps?: number;
  startBitrateKbps?: number;
  reorderWindowMs: number;
  /** How long ICE may stay `disconnected` before the session ends. */
  disconnectGraceMs?: number;
  /** Compressed frames that may wait for the decoder before it counts as fallen behind. */
  maxDecodeQueue?: number;
  /** Decode on libuv's pool (true) or on the event loop (false; only for measuring). */
  asyncDecode?: boolean;
  /**
   * How long a negotiated session may take to reach `connected` before it ends. werift never gives up on
   * an offer whose peer never shows up, so without it such a session would hold a `max_sessions` place forever.
   */
  connectTimeoutMs?: number;
  /**
   * Test seam, not a parameter: sees every received video RTP packet before the assembler and returns it
   * (possibly changed) or null to drop it. Tests use it to simulate loss and corruption; only code that
   * opens sessions itself can set it, never YAML.
   */
  packetFilter?: (packet: RtpPacket) => RtpPacket | null;
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

export interface SessionHandlers {
  onPicture(frame: VideoFrame, meta: PictureMeta): void;
  /** Each assembled compressed frame, before it is queued for decoding (the op's `encoded` output). */
  onEncoded?(frame: EncodedFrame, codec: CodecName): void;
  onClosed(id: string, reason: string): void;
  log: { info(m: string): void; warn(m: string): void; debug(m: string): void };
}

/** An answerable failure: the HTTP layer turns `status` into the response code. */
export class SignalingError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'SignalingError';
  }
}

/**
 * One receive-only video peer: werift's RTCPeerConnection, our frame assembler, a node-av decoder.
 * It owns every timer, socket and native context it makes and gives them all back in `close()`.
 */
export class WebRTCSession {
  readonly createdAt = performance.now();
  state = 'new';
  codec: CodecInfo | null = null;
  width = 0;
  height = 0;
  firstPictureAt = 0;
  framesDecoded = 0;
  decodeErrors = 0;
  framesDroppedBehind = 0;
  decodeMsTotal = 0;
  superseded = 0;
  private readonly recentPictures: number[] = [];
  private pc: RTCPeerConnection;
  private assembler: FrameAssembler | null = null;
  private decoder: VideoDecoder | null = null;
  private keyframes: KeyframeRequester | null = null;
  private payloadType = -1;
  private decodeQueue: EncodedFrame[] = [];
  private pumping = false;
  private flushPending = false;
  private graceTimer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private readonly subscriptions: { unSubscribe(): void }[] = [];
  private closing: Promise<void> | null = null;

  private constructor(readonly id: string, private readonly options: SessionOptions, private readonly handlers: SessionHandlers, offerSdp: string) {
    this.pc = new RTCPeerConnection({
      codecs: { video: codecsForOffer(offerSdp, options), audio: [] },
      headerExtensions: { video: [], audio: [] },
      iceServers: options.iceServers.map((urls) => ({ urls })),
      iceAdditionalHostAddresses: options.additionalHostAddresses,
      bundlePolicy: 'max-bundle',
    });
  }

  /**
   * Answers an offer. `waitForGathering`: the seed's `/offer` is non-trickle, so its answer carries every
   * candidate; WHIP answers at once with the host candidates gathered so far (on a LAN that is all).
   */
  static async open(id: string, offerSdp: string, waitForGathering: 'complete' | 'host', options: SessionOptions, handlers: SessionHandlers): Promise<{ session: WebRTCSession; answer: string }> {
    if (typeof offerSdp !== 'string') throw new SignalingError(400, 'the offer is not an SDP document');
    const problem = offerProblem(offerSdp); // also: v=0 first, a video m-line
    if (problem) throw new SignalingError(400, problem);
    const session = new WebRTCSession(id, options, handlers, offerSdp);
    try {
      await session.negotiate(offerSdp);
      const sdp = await session.gatheredAnswer(waitForGathering);
      return { session, answer: sdp };
    } catch (err) {
      await session.close('negotiation failed');
      if (err instanceof SignalingError) throw err;
      // werift throws on an offer with no codec it was configured for (findings trap 6): a 4xx, not a crash.
      const offered = offeredVideoCodecs(offerSdp).join(', ') || 'none';
      throw new SignalingError(400, `cannot answer the offer: ${(err as Error).message} (offered video codecs: ${offered}; accepted: ${options.codecs.join(', ')})`);
    }
  }

  private async negotiate(offerSdp: string): Promise<void> {
    const pc = this.pc;
    this.subscriptions.push(pc.onTrack.subscribe((track) => this.attachTrack(track)));
    this.subscriptions.push(pc.connectionStateChange.subscribe((s) => this.onConnectionState(s)));
    await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    const offered = SessionDescription.parse(offerSdp).media;
    const video = pc.getTransceivers().filter((t) => t.kind === 'video');
    for (const t of video) {
      if (t.codecs.length === 0) continue;
      const media = offered.find((m) => m.rtp.muxId === t.mid) ?? offered.filter((m) => m.kind === 'video')[0];
      t.codecs = answerCodecs(media?.rtp.codecs ?? [], this.options);
    }
    if (video.length === 0 || video.every((t) => t.codecs.length === 0)) {
      throw new SignalingError(400, `no video codec in the offer is supported (offered: ${offeredVideoCodecs(offerSdp).join(', ') || 'none'}; accepted: ${this.options.codecs.join(', ')})`);
    }
    for (const t of pc.getTransceivers()) if (t.kind !== 'video') t.setDirection('inactive');
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    this.state = 'connecting';
    const limit = this.options.connectTimeoutMs ?? 15_000;
    this.connectTimer = setTimeout(() => { this.connectTimer = null; void this.close(`not connected within ${limit} ms`); }, limit);
  }

  private async gatheredAnswer(waitFor: 'complete' | 'host'): Promise<string> {
    const pc = this.pc;
    if (pc.iceGatheringState !== 'complete') {
      const limitMs = waitFor === 'complete' ? 10_000 : 300;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, limitMs);
        const sub = pc.iceGatheringStateChange.subscribe((s) => { if (s === 'complete') done(); });
        function done() { clearTimeout(timer); sub.unSubscribe(); resolve(); }
      });
    }
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new Error('werift produced no local description');
    return sdp;
  }

  /** A remote candidate from JSON trickle (the seed page). */
  async addCandidate(c: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null }): Promise<void> {
    if (!c || typeof c.candidate !== 'string') throw new SignalingError(400, 'a candidate needs a `candidate` string');
    if (c.candidate === '') return; // end of candidates
    await this.pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid ?? undefined, sdpMLineIndex: c.sdpMLineIndex ?? undefined });
  }

  /** Remote candidates from a WHIP PATCH fragment. */
  async addFragment(fragment: string): Promise<number> {
    let parsed;
    try {
      parsed = parseTrickleFragment(fragment);
    } catch (err) {
      throw new SignalingError(400, `bad trickle-ice-sdpfrag: ${(err as Error).message}`);
    }
    const remoteUfrag = this.pc.remoteDescription?.sdp.match(/^a=ice-ufrag:(\S+)/m)?.[1];
    if (parsed.iceUfrag && remoteUfrag && parsed.iceUfrag !== remoteUfrag) {
      // An ICE restart: RFC 9725 lets a server that cannot restart say so.
      throw new SignalingError(422, 'ICE restart is not supported; start a new session');
    }
    const mid = this.pc.getTransceivers().find((t) => t.kind === 'video')?.mid ?? null;
    for (const c of parsed.candidates) await this.addCandidate({ ...c, sdpMid: c.sdpMid ?? mid });
    return parsed.candidates.length;
  }

  private attachTrack(track: MediaStreamTrack): void {
    if (track.kind !== 'video') return;
    const transceiver = this.pc.getTransceivers().find((t) => t.receiver.tracks.includes(track));
    this.subscriptions.push(track.onReceiveRtp.subscribe((packet) => this.onRtp(packet, track, transceiver)));
  }

  private onRtp(received: RtpPacket, track: MediaStreamTrack, transceiver: RTCRtpTransceiver | undefined): void {
    if (this.closing) return;
    const packet = this.options.packetFilter ? this.options.packetFilter(received) : received;
    if (!packet) return;
    const pt = packet.header.payloadType;
    if (pt !== this.payloadType) this.switchCodec(pt, packet.header.ssrc, transceiver, track);
    this.assembler?.push(packet);
  }

  /** First packet, or the sender changed payload type: a fresh assembler and decoder for that codec. */
  private switchCodec(pt: number, ssrc: number, transceiver: RTCRtpTransceiver | undefined, track: MediaStreamTrack): void {
    const negotiated = transceiver?.codecs.find((c) => c.payloadType === pt) ?? (track.codec?.payloadType === pt ? track.codec : undefined);
    const info = negotiated ? codecFromMime(negotiated.mimeType) : undefined;
    this.payloadType = pt;
    this.assembler?.close();
    this.keyframes?.close();
    const old = this.decoder;
    this.decoder = null;
    this.assembler = null;
    this.decodeQueue = [];
    if (old) void old.close();
    if (!info) {
      this.handlers.log.warn(`session ${this.id}: packets with payload type ${pt}, which was not negotiated as video; ignoring them`);
      return;
    }
    this.codec = info;
    this.decoder = new VideoDecoder(info, this.options.outputFormat, this.options.asyncDecode ?? true);
    const receiver = transceiver?.receiver;
    this.keyframes = new KeyframeRequester(
      () => { void receiver?.sendRtcpPLI(ssrc).catch(() => undefined); },
      () => this.assembler?.isWaitingForKeyframe ?? false,
    );
    this.assembler = new FrameAssembler(
      info,
      (frame) => { this.handlers.onEncoded?.(frame, info.name); this.enqueueDecode(frame); },
      (reason) => { this.handlers.log.debug(`session ${this.id}: ${reason}; asking for a keyframe`); this.keyframes?.request(); },
      { reorderWindowMs: this.options.reorderWindowMs },
    );
    this.state = this.pc.connectionState === 'connected' ? 'connected' : this.state;
    // We join mid-stream: ask for a keyframe right away instead of waiting for the next one.
    this.keyframes.request();
    this.handlers.log.info(`session ${this.id}: receiving ${info.name} (payload type ${pt})`);
  }

  private enqueueDecode(frame: EncodedFrame): void {
    const limit = this.options.maxDecodeQueue ?? 8;
    if (this.decodeQueue.length >= limit) {
      // Decoding itself fell behind: drop what waits, restart from a keyframe (findings: only then).
      this.framesDroppedBehind += this.decodeQueue.length + 1;
      this.decodeQueue = [];
      this.flushPending = true;
      this.assembler?.requireKeyframe();
      this.keyframes?.request();
      return;
    }
    this.decodeQueue.push(frame);
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      let frame: EncodedFrame | undefined;
      while (!this.closing && (frame = this.decodeQueue.shift())) {
        const decoder = this.decoder;
        if (!decoder) break;
        if (this.flushPending) { decoder.flush(); this.flushPending = false; }
        try {
          const pictures = await decoder.decode(frame);
          if (this.closing || decoder !== this.decoder) break;
          for (const p of pictures) this.deliver(p.frame, p.decodeMs, frame);
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
          this.decodeErrors++;
          this.handlers.log.warn(`session ${this.id}: ${err.message}; waiting for a keyframe`);
          this.assembler?.requireKeyframe();
          this.keyframes?.request();
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private deliver(frame: VideoFrame, decodeMs: number, source: EncodedFrame): void {
    const now = performance.now();
    if (!this.firstPictureAt) this.firstPictureAt = now;
    this.framesDecoded++;
    this.decodeMsTotal += decodeMs;
    this.width = frame.width;
    this.height = frame.height;
    this.recentPictures.push(now);
    while (this.recentPictures.length > 0 && now - this.recentPictures[0] > 1000) this.recentPictures.shift();
    this.handlers.onPicture(frame, {
      sessionId: this.id, codec: this.codec!.name, arrivalTime: source.arrivalTime, decodeMs,
      rtpTimestamp: source.rtpTimestamp, keyframe: source.keyframe,
    });
  }

  private onConnectionState(s: string): void {
    if (this.closing) return;
    this.state = s;
    if (s === 'connected' && this.connectTimer) { clearTimeout(this.connectTimer); this.connectTimer = null; }
    if (this.graceTimer && s !== 'disconnected') { clearTimeout(this.graceTimer); this.graceTimer = null; }
    if (s === 'failed' || s === 'closed') void this.close(`connection ${s}`);
    else if (s === 'disconnected' && !this.graceTimer) {
      // ICE consent lapsed; give it a moment to come back before ending the session.
      this.graceTimer = setTimeout(() => { this.graceTimer = null; void this.close('connection lost (ICE disconnected)'); }, this.options.disconnectGraceMs ?? 3000);
    }
  }

  stats(): SessionStats {
    const a = this.assembler?.stats;
    const now = performance.now();
    const recent = this.recentPictures.filter((t) => now - t <= 1000).length;
    return {
      id: this.id,
      state: this.closing ? 'closed' : this.state,
      codec: this.codec?.name ?? null,
      width: this.width,
      height: this.height,
      framesDecoded: this.framesDecoded,
      framesDropped: (a ? a.brokenFrames + a.framesSkippedWaitingForKeyframe : 0) + this.framesDroppedBehind + this.decodeErrors,
      fps: recent,
      packets: a?.packets ?? 0,
      paddingPackets: a?.paddingPackets ?? 0,
      lostPackets: a?.lostPackets ?? 0,
      latePackets: a?.latePackets ?? 0,
      brokenFrames: a?.brokenFrames ?? 0,
      decodeErrors: this.decodeErrors,
      plisSent: this.keyframes?.sent ?? 0,
      decodeMsMean: this.framesDecoded ? this.decodeMsTotal / this.framesDecoded : 0,
      decodeQueue: this.decodeQueue.length,
      superseded: this.superseded,
      firstFrameMs: this.firstPictureAt ? this.firstPictureAt - this.createdAt : null,
    };
  }

  get closed(): boolean { return this.closing !== null; }

  /** Ends the session and releases everything it holds; safe to call more than once. */
  close(reason: string): Promise<void> {
    if (!this.closing) this.closing = this.closeNow(reason);
    return this.closing;
  }

  private async closeNow(reason: string): Promise<void> {
    this.state = 'closed';
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.keyframes?.close();
    this.assembler?.close();
    this.decodeQueue = [];
    for (const s of this.subscriptions.splice(0)) s.unSubscribe();
    try { await this.pc.close(); } catch (err) { this.handlers.log.warn(`session ${this.id}: closing the peer connection: ${(err as Error).message}`); }
    await this.decoder?.close();
    this.decoder = null;
    this.handlers.log.info(`session ${this.id} closed: ${reason}`);
    this.handlers.onClosed(this.id, reason);
  }
}
