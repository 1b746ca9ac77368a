import { randomUUID } from 'node:crypto';
import {
  GenericNack, MediaStreamTrack, RTCPeerConnection, ReceiverEstimatedMaxBitrate, RtcpPayloadSpecificFeedback,
  RtcpTransportLayerFeedback, type RTCRtpSender, type RtcpPacket, type RtpPacket,
} from 'werift';
import { parseTrickleFragment, toRTCIceServer, type IceServer } from '../messages/index.ts';
import { ViewerError, checkViewerOffer } from './offer-checks.ts';
import { namesStunServer, prepareAnswererTransports, type DtlsSetup } from '../rtc/answerer-transport.ts';
import { PLAYOUT_DELAY_URI, PLAYOUT_DELAY_ZERO, sendCodecParameters, sendHeaderExtensions, type SendCodecName } from './send-codecs.ts';

/** werift keeps this many sent packets for retransmission (RTP_HISTORY_SIZE in rtpSender.js). */
export const RETRANSMIT_HISTORY = 128;
/** RTCP payload-specific feedback format of a Full Intra Request (RFC 5104). */
const FIR_FMT = 4;

export interface ViewerOptions {
  codec: SendCodecName;
  iceServers: IceServer[];
  additionalHostAddresses: string[];
  connectTimeoutMs: number;
  disconnectGraceMs: number;
  /** A connected viewer silent this long (no RTCP at all) has vanished: it is reaped without waiting for ICE consent (30 s). */
  rtcpTimeoutMs: number;
  zeroPlayoutDelay: boolean;
  /**
   * Test seam, not a parameter: sees each packet's sequence number as it leaves for the network, after
   * werift stored it for retransmission, and returns false to lose it (a real network's loss). Only code
   * that makes viewers itself can set it, never YAML.
   */
  networkFilter?: (sequenceNumber: number) => boolean;
}

export type KeyframeReason = 'joined' | 'pli' | 'fir' | 'nack-unanswerable';

export interface ViewerHandlers {
  /** DTLS is up: from now on packets reach the viewer; it needs a keyframe to start. */
  onConnected(viewer: Viewer): void;
  onKeyframeRequest(viewer: Viewer, reason: KeyframeReason): void;
  onClosed(viewer: Viewer, reason: string): void;
  log: { info(m: string): void; warn(m: string): void; debug(m: string): void };
}

export interface ViewerStats {
  id: string;
  state: string;
  packetsSent: number;
  keyframeRequests: Record<KeyframeReason, number>;
  nacks: number;
  /** The viewer's last REMB estimate, bits per second (0 before the first). */
  rembBps: number;
}

/**
 * One WHEP viewer: a werift peer connection with one sendonly video track. It sends what the stream
 * hands it, but only once DTLS is connected (werift drops earlier packets without a word), and turns the
 * viewer's RTCP into keyframe requests and a bitrate estimate for the shared encoder.
 */
export class Viewer {
  readonly id = randomUUID();
  state = 'new';
  connected = false;
  rembBps = 0;
  packetsSent = 0;
  nacks = 0;
  readonly keyframeRequests: Record<KeyframeReason, number> = { joined: 0, pli: 0, fir: 0, 'nack-unanswerable': 0 };
  private readonly pc: RTCPeerConnection;
  private sender: RTCRtpSender | null = null;
  /**
   * The extensions this viewer's packets carry (playout-delay 0, if negotiated): one array for every
   * packet, not one per packet (werift copies the list on send and never changes its entries).
   */
  private extensions: { id: number; payload: Buffer }[] = [];
  private connectTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private silenceTimer: NodeJS.Timeout | null = null;
  private lastRtcpAt = 0;
  private readonly subscriptions: { unSubscribe(): void }[] = [];
  private closing: Promise<void> | null = null;
  /** Highest sequence number sent, to tell a NACK for an old packet from one werift still holds. */
  private lastSeq = -1;

  constructor(private readonly options: ViewerOptions, private readonly handlers: ViewerHandlers) {
    this.pc = new RTCPeerConnection({
      codecs: { video: [sendCodecParameters(options.codec)], audio: [] },
      headerExtensions: { video: options.zeroPlayoutDelay ? sendHeaderExtensions() : sendHeaderExtensions().filter((e) => e.uri !== PLAYOUT_DELAY_URI), audio: [] },
      iceServers: options.iceServers.map(toRTCIceServer),
      iceAdditionalHostAddresses: options.additionalHostAddresses,
      bundlePolicy: 'max-bundle',
    });
  }

  /** Answers a viewer's recvonly offer; the answer carries the host candidates gathered in the first moments. */
  async answer(offerSdp: string): Promise<string> {
    const { dtlsSetup } = checkViewerOffer(offerSdp, this.options.codec);
    try {
      return await this.negotiate(offerSdp, dtlsSetup);
    } catch (err) {
      await this.close('negotiation failed');
      if (err instanceof ViewerError) throw err;
      throw new ViewerError(400, `cannot answer the offer: ${(err as Error).message}`);
    }
  }

  private async negotiate(offerSdp: string, dtlsSetup: DtlsSetup): Promise<string> {
    const pc = this.pc;
    // The track carries the codec, so werift answers with exactly it (H264 42e01f, not the offer's first profile).
    const track = new MediaStreamTrack({ kind: 'video', codec: sendCodecParameters(this.options.codec) });
    const transceiver = pc.addTransceiver(track, { direction: 'sendonly' });
    this.sender = transceiver.sender;
    this.subscriptions.push(pc.connectionStateChange.subscribe((s) => this.onConnectionState(s)));
    this.subscriptions.push(this.sender.onPictureLossIndication.subscribe(() => this.requestKeyframe('pli')));
    this.subscriptions.push(this.sender.onGenericNack.subscribe((nack) => this.onNack(nack)));
    this.subscriptions.push(this.sender.onRtcp.subscribe((p) => this.onSenderRtcp(p)));
    await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    for (const t of pc.getTransceivers()) if (t !== transceiver) t.setDirection('inactive');
    if (transceiver.direction !== 'sendonly') transceiver.setDirection('sendonly');
    prepareAnswererTransports(pc, { stunConfigured: namesStunServer(this.options.iceServers), offerSetup: dtlsSetup });
    await pc.setLocalDescription(await pc.createAnswer());
    // FIR has no werift event and is not routed to the sender (its media SSRC is 0): read it on the transport.
    this.subscriptions.push(this.sender.dtlsTransport.onRtcp.subscribe((p) => this.onTransportRtcp(p)));
    const filter = this.options.networkFilter;
    if (filter) {
      const dtls = this.sender.dtlsTransport;
      const send = dtls.sendRtp.bind(dtls);
      dtls.sendRtp = async (payload, header) => (filter(header.sequenceNumber) ? send(payload, header) : 0);
    }
    const negotiated = transceiver.headerExtensions.find((e) => e.uri === PLAYOUT_DELAY_URI);
    this.extensions = this.options.zeroPlayoutDelay && negotiated ? [{ id: negotiated.id, payload: PLAYOUT_DELAY_ZERO }] : [];
    this.state = 'connecting';
    this.connectTimer = setTimeout(() => { this.connectTimer = null; void this.close(`not connected within ${this.options.connectTimeoutMs} ms`); }, this.options.connectTimeoutMs);
    await this.waitForHostCandidates();
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new Error('werift produced no local description');
    return sdp;
  }

  private async waitForHostCandidates(): Promise<void> {
    const pc = this.pc;
    if (pc.iceGatheringState === 'complete') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, 300);
      const sub = pc.iceGatheringStateChange.subscribe((s) => { if (s === 'complete') done(); });
      function done() { clearTimeout(timer); sub.unSubscribe(); resolve(); }
    });
  }

  /** Remote candidates from a WHEP PATCH (application/trickle-ice-sdpfrag). */
  async addFragment(fragment: string): Promise<void> {
    let parsed;
    try {
      parsed = parseTrickleFragment(fragment);
    } catch (err) {
      throw new ViewerError(400, `bad trickle-ice-sdpfrag: ${(err as Error).message}`);
    }
    const remoteUfrag = this.pc.remoteDescription?.sdp.match(/^a=ice-ufrag:(\S+)/m)?.[1];
    if (parsed.iceUfrag && remoteUfrag && parsed.iceUfrag !== remoteUfrag) throw new ViewerError(422, 'ICE restart is not supported; start a new session');
    const mid = this.sender ? this.pc.getTransceivers().find((t) => t.sender === this.sender)?.mid ?? null : null;
    for (const c of parsed.candidates) await this.pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid ?? mid ?? undefined, sdpMLineIndex: c.sdpMLineIndex ?? undefined });
  }

  /**
   * Sends one frame's packets (shared by every viewer: werift clones each on send). Before DTLS is
   * connected nothing is written at all.
   */
  send(packets: RtpPacket[]): void {
    const sender = this.sender;
    if (!sender || this.closing) return;
    if (!this.connected) return;
    for (const p of packets) {
      p.header.extensions = this.extensions;
      this.lastSeq = p.header.sequenceNumber;
      this.packetsSent++;
      // werift clones the packet synchronously on entry, so the next viewer may reuse it at once.
      sender.sendRtp(p).catch((err: Error) => this.handlers.log.debug(`viewer ${this.id}: sending failed: ${err.message}`));
    }
  }

  private requestKeyframe(reason: KeyframeReason): void {
    this.keyframeRequests[reason]++;
    this.handlers.onKeyframeRequest(this, reason);
  }

  /**
   * werift answers a NACK from its 128-packet history; a packet older than that (a big keyframe is
   * ~230 packets) goes unanswered and Chromium waits 3 s before asking for a keyframe itself (findings
   * trap 2). A keyframe right away ends the freeze in one frame time.
   */
  private onNack(nack: GenericNack): void {
    this.nacks++;
    if (this.lastSeq < 0) return;
    const tooOld = nack.lost.some((seq) => ((this.lastSeq - seq) & 0xffff) >= RETRANSMIT_HISTORY);
    if (tooOld) this.requestKeyframe('nack-unanswerable');
  }

  private onSenderRtcp(p: RtcpPacket): void {
    if (p instanceof RtcpPayloadSpecificFeedback && p.feedback instanceof ReceiverEstimatedMaxBitrate) this.rembBps = Number(p.feedback.bitrate);
  }

  private onTransportRtcp(p: RtcpPacket): void {
    this.lastRtcpAt = performance.now();
    // werift parses FIR (PSFB FMT 4) but does not export its class: its entries name the SSRCs asked.
    if (!(p instanceof RtcpPayloadSpecificFeedback) || p.feedback?.count !== FIR_FMT || !('fir' in p.feedback)) return;
    const ssrc = this.sender?.ssrc;
    if (p.feedback.fir.some((e: { ssrc: number }) => e.ssrc === ssrc)) this.requestKeyframe('fir');
  }

  private onConnectionState(s: string): void {
    if (this.closing) return;
    this.state = s;
    if (s === 'connected') {
      if (this.connectTimer) { clearTimeout(this.connectTimer); this.connectTimer = null; }
      if (this.graceTimer) { clearTimeout(this.graceTimer); this.graceTimer = null; }
      if (!this.connected) {
        this.connected = true;
        this.watchForSilence();
        this.handlers.onConnected(this);
        this.requestKeyframe('joined');
      }
    } else if (s === 'failed' || s === 'closed') {
      void this.close(`connection ${s}`);
    } else if (s === 'disconnected' && !this.graceTimer) {
      // ICE consent lapsed (the viewer vanished or its network dropped): give it a moment, then reap it.
      this.graceTimer = setTimeout(() => { this.graceTimer = null; void this.close('connection lost (ICE consent expired)'); }, this.options.disconnectGraceMs);
    }
  }

  /**
   * A browser sends receiver reports (and REMB) every second or so while it watches. One that was killed
   * or lost its network sends nothing; werift would notice only when ICE consent expires, 30 s later.
   */
  private watchForSilence(): void {
    this.lastRtcpAt = performance.now();
    const limit = this.options.rtcpTimeoutMs;
    this.silenceTimer = setInterval(() => {
      const silent = performance.now() - this.lastRtcpAt;
      if (silent > limit) void this.close(`the viewer went silent (no RTCP for ${Math.round(silent)} ms)`);
    }, Math.min(1000, limit));
  }

  stats(): ViewerStats {
    return {
      id: this.id, state: this.closing ? 'closed' : this.state, packetsSent: this.packetsSent, keyframeRequests: { ...this.keyframeRequests },
      nacks: this.nacks, rembBps: this.rembBps,
    };
  }

  get closed(): boolean { return this.closing !== null; }

  close(reason: string): Promise<void> {
    if (!this.closing) this.closing = this.closeNow(reason);
    return this.closing;
  }

  private async closeNow(reason: string): Promise<void> {
    this.connected = false;
    this.state = 'closed';
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    if (this.silenceTimer) clearInterval(this.silenceTimer);
    for (const s of this.subscriptions.splice(0)) s.unSubscribe();
    try { await this.pc.close(); } catch (err) { this.handlers.log.warn(`viewer ${this.id}: closing the peer connection: ${(err as Error).message}`); }
    this.handlers.log.info(`viewer ${this.id} closed: ${reason}`);
    this.handlers.onClosed(this, reason);
  }
}
