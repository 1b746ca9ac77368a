import { RTCPeerConnection, type MediaStreamTrack, type RTCRtpTransceiver, type RtpPacket } from 'werift';
import { SignalingError, toRTCIceServer, type IceServer, type SessionStats, type VideoFrame } from '../messages/index.ts';
import { answerCodecs, codecFromMime, codecsForOffer, type CodecInfo, type CodecName } from './codecs.ts';
import { DecodePipeline, newCounters, type PictureMeta } from './decode-pipeline.ts';
import type { EncodedFrame } from './frame-assembler.ts';
import { offeredNames, parseOffer, type ParsedOffer } from './offer.ts';
import type { WebRTCClientParams } from './params.ts';
import { parseTrickleFragment } from '../messages/trickle-fragment.ts';
import { namesStunServer, prepareAnswererTransports } from '../rtc/answerer-transport.ts';
import { RECEIVE_TUNING } from './tuning.ts';
import { VideoDecoder, type OutputFormat } from './video-decoder.ts';

export type { PictureMeta } from './decode-pipeline.ts';

export interface SessionOptions {
  iceServers: IceServer[];
  additionalHostAddresses: string[];
  codecs: readonly CodecName[];
  outputFormat: OutputFormat;
  /** x-google-min-bitrate in the answer; 0 leaves it out. */
  minBitrateKbps: number;
  /** x-google-start-bitrate in the answer; 0 leaves it out. */
  startBitrateKbps: number;
  reorderWindowMs: number;
  /** How long ICE may stay `disconnected` before the session ends. */
  disconnectGraceMs: number;
  /**
   * How long a negotiated session may take to reach `connected` before it ends. werift never gives up on
   * an offer whose peer never shows up, so without it such a session would hold a `max_sessions` place forever.
   */
  connectTimeoutMs: number;
  /** Decode on libuv's pool (true, the default: the operator's thread stays free) or on the calling thread (false: session workers). */
  asyncDecode?: boolean;
  /**
   * Test seam, not a parameter: sees every received video RTP packet before the assembler and returns it
   * (possibly changed) or null to drop it. Tests use it to simulate loss and corruption; only code that
   * opens sessions itself can set it, never YAML.
   */
  packetFilter?: (packet: RtpPacket) => RtpPacket | null;
}

/** Session options from the operator's parameters: every default lives in the params schema. */
export function sessionOptionsFrom(p: WebRTCClientParams): SessionOptions {
  return {
    iceServers: p.ice_servers,
    additionalHostAddresses: p.additional_host_addresses,
    codecs: p.codecs,
    outputFormat: p.output_format,
    minBitrateKbps: p.min_bitrate_kbps,
    startBitrateKbps: p.start_bitrate_kbps,
    reorderWindowMs: p.reorder_window_ms,
    disconnectGraceMs: p.disconnect_grace_ms,
    connectTimeoutMs: p.connect_timeout_ms,
  };
}

export interface SessionHandlers {
  onPicture(frame: VideoFrame, meta: PictureMeta): void;
  /** Each assembled compressed frame, before it is queued for decoding (the op's `encoded` output). */
  onEncoded?(frame: EncodedFrame, codec: CodecName): void;
  onClosed(id: string, reason: string): void;
  log: { info(m: string): void; warn(m: string): void; debug(m: string): void };
}

/**
 * One receive-only video peer: werift's RTCPeerConnection, our frame assembler, a node-av decoder.
 * It owns every timer, socket and native context it makes and gives them all back in `close()`.
 */
export class WebRTCSession {
  readonly createdAt = performance.now();
  state = 'new';
  codec: CodecInfo | null = null;
  /** Size of the latest picture (0 before the first). */
  get width(): number { return this.counters.width; }
  get height(): number { return this.counters.height; }
  /** Kept across pipelines: a sender may switch codec mid-session. */
  private readonly counters = newCounters();
  private pc: RTCPeerConnection;
  private pipeline: DecodePipeline | null = null;
  private payloadType = -1;
  private graceTimer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private readonly subscriptions: { unSubscribe(): void }[] = [];
  private closing: Promise<void> | null = null;

  private constructor(readonly id: string, private readonly options: SessionOptions, private readonly handlers: SessionHandlers, offer: ParsedOffer) {
    this.pc = new RTCPeerConnection({
      codecs: { video: codecsForOffer(offer, options), audio: [] },
      headerExtensions: { video: [], audio: [] },
      iceServers: options.iceServers.map(toRTCIceServer),
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
    const parsed = parseOffer(offerSdp); // also: v=0 first, a video m-line
    if ('problem' in parsed) throw new SignalingError(400, parsed.problem);
    const { offer } = parsed;
    const session = new WebRTCSession(id, options, handlers, offer);
    try {
      await session.negotiate(offer);
      const sdp = await session.gatheredAnswer(waitForGathering);
      return { session, answer: sdp };
    } catch (err) {
      await session.close('negotiation failed');
      if (err instanceof SignalingError) throw err;
      // werift throws on an offer with no codec it was configured for (findings trap 6): a 4xx, not a crash.
      throw new SignalingError(400, `cannot answer the offer: ${(err as Error).message} (offered video codecs: ${offeredNames(offer)}; accepted: ${options.codecs.join(', ')})`);
    }
  }

  private async negotiate(offer: ParsedOffer): Promise<void> {
    const pc = this.pc;
    this.subscriptions.push(pc.onTrack.subscribe((track) => this.attachTrack(track)));
    this.subscriptions.push(pc.connectionStateChange.subscribe((s) => this.onConnectionState(s)));
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    // One video stream per session: the offer's first video section (the one checked); any other is declined.
    const videos = pc.getTransceivers().filter((t) => t.kind === 'video');
    const video = videos.find((t) => offer.videoMid !== null && t.mid === offer.videoMid) ?? videos[0];
    if (video && video.codecs.length > 0) video.codecs = answerCodecs(offer, this.options);
    if (!video || video.codecs.length === 0) {
      throw new SignalingError(400, `no video codec in the offer is supported (offered: ${offeredNames(offer)}; accepted: ${this.options.codecs.join(', ')})`);
    }
    for (const t of pc.getTransceivers()) if (t !== video) t.setDirection('inactive');
    prepareAnswererTransports(pc, { stunConfigured: namesStunServer(this.options.iceServers), offerSetup: offer.dtlsSetup });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    this.state = 'connecting';
    const limit = this.options.connectTimeoutMs;
    this.connectTimer = setTimeout(() => { this.connectTimer = null; void this.close(`not connected within ${limit} ms`); }, limit);
  }

  private async gatheredAnswer(waitFor: 'complete' | 'host'): Promise<string> {
    const pc = this.pc;
    if (pc.iceGatheringState !== 'complete') {
      const limitMs = waitFor === 'complete' ? RECEIVE_TUNING.gatherCompleteMs : RECEIVE_TUNING.gatherHostMs;
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
    this.pipeline?.push(packet);
  }

  /** First packet, or the sender changed payload type: a fresh pipeline (assembler, decoder) for that codec. */
  private switchCodec(pt: number, ssrc: number, transceiver: RTCRtpTransceiver | undefined, track: MediaStreamTrack): void {
    const negotiated = transceiver?.codecs.find((c) => c.payloadType === pt) ?? (track.codec?.payloadType === pt ? track.codec : undefined);
    const info = negotiated ? codecFromMime(negotiated.mimeType) : undefined;
    this.payloadType = pt;
    const old = this.pipeline;
    this.pipeline = null;
    if (old) void old.close();
    if (!info) {
      this.handlers.log.warn(`session ${this.id}: packets with payload type ${pt}, which was not negotiated as video; ignoring them`);
      return;
    }
    this.codec = info;
    const receiver = transceiver?.receiver;
    const log = this.handlers.log;
    this.pipeline = new DecodePipeline(
      info,
      new VideoDecoder(info, this.options.outputFormat, this.options.asyncDecode ?? true),
      () => { void receiver?.sendRtcpPLI(ssrc).catch(() => undefined); },
      (frame, meta) => this.handlers.onPicture(frame, { sessionId: this.id, ...meta }),
      this.counters,
      {
        reorderWindowMs: this.options.reorderWindowMs,
        onAssembled: this.handlers.onEncoded ? (frame) => this.handlers.onEncoded!(frame, info.name) : undefined,
        log: { debug: (m) => log.debug(`session ${this.id}: ${m}`), warn: (m) => log.warn(`session ${this.id}: ${m}`) },
      },
    );
    this.state = this.pc.connectionState === 'connected' ? 'connected' : this.state;
    this.pipeline.start();
    log.info(`session ${this.id}: receiving ${info.name} (payload type ${pt})`);
  }

  private onConnectionState(s: string): void {
    if (this.closing) return;
    this.state = s;
    if (s === 'connected' && this.connectTimer) { clearTimeout(this.connectTimer); this.connectTimer = null; }
    if (this.graceTimer && s !== 'disconnected') { clearTimeout(this.graceTimer); this.graceTimer = null; }
    if (s === 'failed' || s === 'closed') void this.close(`connection ${s}`);
    else if (s === 'disconnected' && !this.graceTimer) {
      // ICE consent lapsed; give it a moment to come back before ending the session.
      this.graceTimer = setTimeout(() => { this.graceTimer = null; void this.close('connection lost (ICE disconnected)'); }, this.options.disconnectGraceMs);
    }
  }

  stats(): SessionStats {
    const a = this.pipeline?.assemblerStats;
    const c = this.counters;
    const now = performance.now();
    return {
      id: this.id,
      state: this.closing ? 'closed' : this.state,
      codec: this.codec?.name ?? null,
      width: c.width,
      height: c.height,
      framesDecoded: c.framesDecoded,
      framesDropped: (a ? a.brokenFrames + a.framesSkippedWaitingForKeyframe : 0) + c.framesDroppedBehind + c.framesDroppedAfterError + c.decodeErrors,
      fps: c.recentPictures.filter((t) => now - t <= RECEIVE_TUNING.fpsWindowMs).length * (1000 / RECEIVE_TUNING.fpsWindowMs),
      packets: a?.packets ?? 0,
      paddingPackets: a?.paddingPackets ?? 0,
      lostPackets: a?.lostPackets ?? 0,
      latePackets: a?.latePackets ?? 0,
      brokenFrames: a?.brokenFrames ?? 0,
      decodeErrors: c.decodeErrors,
      plisSent: c.plisSent,
      decodeMsMean: c.framesDecoded ? c.decodeMsTotal / c.framesDecoded : 0,
      decodeQueue: this.pipeline?.queued ?? 0,
      framesDroppedBehind: c.framesDroppedBehind,
      firstFrameMs: c.firstPictureAt ? c.firstPictureAt - this.createdAt : null,
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
    const pipeline = this.pipeline;
    this.pipeline = null;
    for (const s of this.subscriptions.splice(0)) s.unSubscribe();
    const closingPipeline = pipeline?.close();
    try { await this.pc.close(); } catch (err) { this.handlers.log.warn(`session ${this.id}: closing the peer connection: ${(err as Error).message}`); }
    await closingPipeline;
    this.handlers.log.info(`session ${this.id} closed: ${reason}`);
    this.handlers.onClosed(this.id, reason);
  }
}
