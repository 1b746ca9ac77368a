/**
 * Cheap WHEP viewers for bench/webrtc-out.bench.ts, in a process of their own (so their CPU is never
 * charged to the sender): N werift recvonly peers that negotiate as Chromium does (H264 42e01f
 * packetization-mode=1; NACK, PLI, FIR, REMB and transport-cc feedback offered; abs-send-time and
 * playout-delay), receive every packet, put every frame back together (holots' FrameAssembler: reorder
 * window, werift's depacketizer) and count frames. Viewer 0 also decodes every frame with node-av and
 * reads the time code the sender drew, so the row proves the pictures really arrived (and gives a
 * frame -> decoded latency).
 *   node --import tsx bench/webrtc-out/werift-viewers.ts <base url> <viewers>
 * Prints `{"ready":true}` once every viewer has assembled 20 frames and viewer 0 has read a time code.
 * Each line `stats` on stdin is answered with one JSON line of counters (cumulative; latencies since the
 * last `stats`). SIGINT/SIGTERM: DELETE every session, close the peers, exit.
 */
import { createInterface } from 'node:readline';
import {
  MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters, RTP_EXTENSION_URI,
  type RTCRtpTransceiver,
} from 'werift';
import { CODECS, FrameAssembler, VideoDecoder, type EncodedFrame } from '../../operators/webrtc/index.ts';
import { H264_FMTP, PLAYOUT_DELAY_URI } from '../../operators/webrtc-server/index.ts';
import { readTimeCodeAny, wallNow } from '../../testkit/timecode.ts';

const base = process.argv[2];
const count = Number(process.argv[3] ?? 1);
if (!base || !(count > 0)) throw new Error('usage: werift-viewers.ts <base url> <viewers>');

/** What Chromium offers for H264 42e01f: the feedback and extensions a browser viewer brings. */
function browserLikePeer(): RTCPeerConnection {
  return new RTCPeerConnection({
    codecs: {
      video: [new RTCRtpCodecParameters({
        mimeType: 'video/H264', clockRate: 90000, parameters: H264_FMTP,
        rtcpFeedback: [{ type: 'goog-remb' }, { type: 'transport-cc' }, { type: 'ccm', parameter: 'fir' }, { type: 'nack' }, { type: 'nack', parameter: 'pli' }],
      })],
      audio: [],
    },
    headerExtensions: {
      video: [
        new RTCRtpHeaderExtensionParameters({ id: 2, uri: RTP_EXTENSION_URI.absSendTime }),
        new RTCRtpHeaderExtensionParameters({ id: 4, uri: RTP_EXTENSION_URI.sdesMid }),
        new RTCRtpHeaderExtensionParameters({ id: 5, uri: PLAYOUT_DELAY_URI }),
      ],
      audio: [],
    },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    bundlePolicy: 'max-bundle',
  });
}

interface ViewerCounts { packets: number; frames: number; keyframes: number; pli: number; restarts: number }

class WeriftViewer {
  readonly counts: ViewerCounts = { packets: 0, frames: 0, keyframes: 0, pli: 0, restarts: 0 };
  private pc!: RTCPeerConnection;
  private location: string | null = null;
  private transceiver!: RTCRtpTransceiver;
  private assembler!: FrameAssembler;
  private closed = false;

  constructor(readonly index: number, private readonly onFrame: (f: EncodedFrame) => void) {}

  async start(): Promise<void> {
    this.pc = browserLikePeer();
    this.assembler = new FrameAssembler(CODECS.H264, (f) => {
      this.counts.frames++;
      if (f.keyframe) this.counts.keyframes++;
      this.onFrame(f);
    }, () => { this.counts.pli++; void this.pli(); }, { reorderWindowMs: 100 });
    this.transceiver = this.pc.addTransceiver('video', { direction: 'recvonly' });
    const assembler = this.assembler;
    this.transceiver.onTrack.subscribe((track: MediaStreamTrack) => track.onReceiveRtp.subscribe((p) => {
      this.counts.packets++;
      assembler.push(p);
    }));
    // On a machine loaded past its cores a DTLS handshake can time out: a browser's page would retry, so does this.
    const pc = this.pc;
    pc.connectionStateChange.subscribe((s) => {
      if (s !== 'failed' || this.closed || pc !== this.pc) return;
      this.counts.restarts++;
      void this.restart();
    });
    await pc.setLocalDescription(await pc.createOffer());
    await waitGathered(pc);
    const res = await fetch(`${base}whep`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp });
    const body = await res.text();
    if (res.status !== 201) throw new Error(`viewer ${this.index}: POST /whep answered ${res.status}: ${body}`);
    this.location = new URL(res.headers.get('location')!, base).href;
    await pc.setRemoteDescription({ type: 'answer', sdp: body });
  }

  private async restart(): Promise<void> {
    await this.end();
    if (!this.closed) await this.start().catch((err) => console.error(`viewer ${this.index}: restart failed: ${(err as Error).message}`));
  }

  private async end(): Promise<void> {
    this.assembler.close();
    const location = this.location;
    this.location = null;
    if (location) await fetch(location, { method: 'DELETE' }).catch(() => {});
    await this.pc.close().catch(() => {});
  }

  private async pli(): Promise<void> {
    const ssrc = this.transceiver.receiver.tracks[0]?.ssrc;
    if (ssrc !== undefined) await this.transceiver.receiver.sendRtcpPLI(ssrc).catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.end();
  }
}

function waitGathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, 500);
    const sub = pc.iceGatheringStateChange.subscribe((s) => { if (s === 'complete') done(); });
    function done() { clearTimeout(timer); sub.unSubscribe(); resolve(); }
  });
}

/** Viewer 0's pictures: decoded one at a time (the newest frame waits while one decodes: none is skipped on loopback). */
const decoder = new VideoDecoder(CODECS.H264, 'yuv420p', true);
const picture = { decoded: 0, codes: 0, clean: 0, decodeErrors: 0, width: 0, height: 0, latencies: [] as number[] };
let decoding: Promise<void> = Promise.resolve();
function decodeSample(f: EncodedFrame): void {
  decoding = decoding.then(async () => {
    try {
      for (const p of await decoder.decode(f)) {
        picture.decoded++;
        picture.width = p.frame.width;
        picture.height = p.frame.height;
        const code = readTimeCodeAny(p.frame);
        const age = wallNow() - code.ms;
        // A code that reads as a time within the last minute is one the sender drew; noise would not.
        if (age > -5 && age < 60_000) { picture.codes++; picture.latencies.push(age); }
        if (code.clean) picture.clean++;
      }
    } catch {
      picture.decodeErrors++;
    }
  });
}

const viewers = Array.from({ length: count }, (_, i) => new WeriftViewer(i, i === 0 ? decodeSample : () => {}));
for (const v of viewers) await v.start();
const t0 = performance.now();
while (!(viewers.every((v) => v.counts.frames >= 20) && picture.codes > 0)) {
  if (performance.now() - t0 > 120_000) {
    throw new Error(`viewers not receiving after 120 s: frames ${viewers.map((v) => v.counts.frames).join(',')}, time codes read ${picture.codes}`);
  }
  await new Promise((r) => setTimeout(r, 100));
}
console.log(JSON.stringify({ ready: true }));

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stats') return;
  console.log(JSON.stringify({ viewers: viewers.map((v) => v.counts), picture: { ...picture, latencies: picture.latencies.splice(0) } }));
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled(viewers.map((v) => v.close()));
  await decoding;
  await decoder.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
