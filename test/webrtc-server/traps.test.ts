/**
 * The send-side traps (../shared/whep-findings.md), each against a real werift receiver on loopback
 * talking to WebRTCServerOp's own Viewer and Broadcast, with real x264 frames:
 *  1. compound RTCP is split before werift parses it;  2. a NACK for a packet werift no longer holds gets
 *  a keyframe;  3. the encoder's rate follows REMB;  4. H264 is answered as 42e01f, packetization-mode 1;
 *  5. every packet carries playout-delay 0;  6. nothing reaches a viewer before DTLS connects, and the
 *  first thing it gets is a keyframe; plus PLI and FIR keyframes and no encoding while nobody watches.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  GenericNack, H264RtpPayload, MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters, RTP_EXTENSION_URI,
  ReceiverEstimatedMaxBitrate, RtcpPacketConverter, RtcpPayloadSpecificFeedback, RtcpRrPacket, RtcpTransportLayerFeedback,
  useFIR, useNACK, usePLI, useREMB, type RtpPacket,
} from 'werift';
import { createLogger } from '../../framework/index.ts';
import { renderTestPattern, TestPatternParams } from '../../operators/video/index.ts';
import { Broadcast, installCompoundRtcpSplit, PLAYOUT_DELAY_URI, splitCompoundRtcp, Viewer } from '../../operators/webrtc-server/index.ts';
import { waitFor } from '../../testkit/wait.ts';

const log = createLogger('warn', 'traps');

function remb(bps: number, ssrc: number): RtcpPayloadSpecificFeedback {
  let exp = 0;
  while (bps / 2 ** exp >= 1 << 18) exp++;
  return new RtcpPayloadSpecificFeedback({
    feedback: new ReceiverEstimatedMaxBitrate({ senderSsrc: 1, mediaSsrc: 0, ssrcNum: 1, brExp: exp, brMantissa: Math.floor(bps / 2 ** exp), ssrcFeedbacks: [ssrc], length: 5 }),
  });
}
const nack = (ssrc: number, lost: number[]) => new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 1, mediaSourceSsrc: ssrc, lost }) });

test('trap 1: a compound NACK + REMB parses into exactly the lost packet and the estimate', () => {
  const buf = Buffer.concat([new RtcpRrPacket({ ssrc: 1, reports: [] }).serialize(), nack(1234, [1000]).serialize(), remb(800_000, 1234).serialize()]);
  assert.deepEqual(splitCompoundRtcp(buf).map((p) => p.length), [8, 16, 24]);
  installCompoundRtcpSplit();
  const parsed = RtcpPacketConverter.deSerialize(buf);
  assert.deepEqual(((parsed[1] as RtcpTransportLayerFeedback).feedback as GenericNack).lost, [1000], 'werift read the REMB as more lost packets');
  assert.equal(((parsed[2] as RtcpPayloadSpecificFeedback).feedback as ReceiverEstimatedMaxBitrate).bitrate, 800_000n);
  // A truncated tail is left out, not read past the buffer.
  assert.equal(splitCompoundRtcp(buf.subarray(0, 30)).length, 2);
});

describe('a werift viewer of a shared H264 broadcast', () => {
  const viewers: Viewer[] = [];
  const received: RtpPacket[] = [];
  const keyframesAt: number[] = [];
  let broadcast: Broadcast;
  let viewer: Viewer;
  let peer: RTCPeerConnection;
  let feeder: NodeJS.Timeout;
  let encodedBeforeConnected = -1;
  let connectedAt = Infinity;

  before(async () => {
    installCompoundRtcpSplit();
    broadcast = new Broadcast({ codec: 'H264', fps: 30, maxBitrateBps: 2_000_000, minBitrateBps: 300_000, keyframeInterval: 0 }, () => viewers);
    viewer = new Viewer({ codec: 'H264', iceServers: [], additionalHostAddresses: ['127.0.0.1'], connectTimeoutMs: 15_000, disconnectGraceMs: 1000, rtcpTimeoutMs: 5000, zeroPlayoutDelay: true }, {
      onConnected: () => { encodedBeforeConnected = broadcast.stats.framesEncoded; connectedAt = received.length; },
      onKeyframeRequest: (v, reason) => broadcast.requestKeyframe(v, reason === 'joined'),
      onClosed: (v) => broadcast.viewerLeft(v),
      log,
    });
    viewers.push(viewer);
    // Frames flow from the start, before the viewer has even offered.
    const pattern = TestPatternParams.parse({ width: 640, height: 360, format: 'yuv420p', pattern: 'moving_box', speed: 12 });
    let index = 0;
    let busy = false;
    feeder = setInterval(() => {
      if (busy) return;
      busy = true;
      void broadcast.encode(renderTestPattern(pattern, index++)).finally(() => { busy = false; });
    }, 33);
    // The offer a browser would make: every H264 profile, the first not the one we send (as Chromium's).
    const offered = ['42001f', '42e01f', '4d001f'].map((profile) => new RTCRtpCodecParameters({
      mimeType: 'video/H264', clockRate: 90000, rtcpFeedback: [useNACK(), usePLI(), useFIR(), useREMB()],
      parameters: `level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=${profile}`,
    }));
    peer = new RTCPeerConnection({
      codecs: { video: offered, audio: [] },
      headerExtensions: { video: [new RTCRtpHeaderExtensionParameters({ id: 2, uri: RTP_EXTENSION_URI.absSendTime }), new RTCRtpHeaderExtensionParameters({ id: 5, uri: PLAYOUT_DELAY_URI })], audio: [] },
      iceAdditionalHostAddresses: ['127.0.0.1'],
    });
    const transceiver = peer.addTransceiver('video', { direction: 'recvonly' });
    transceiver.onTrack.subscribe((track: MediaStreamTrack) => track.onReceiveRtp.subscribe((p) => {
      received.push(p);
      if (H264RtpPayload.deSerialize(p.payload).isKeyframe) keyframesAt.push(received.length - 1);
    }));
    await peer.setLocalDescription(await peer.createOffer());
    await new Promise((r) => setTimeout(r, 300));
    const answer = await viewer.answer(peer.localDescription!.sdp);
    assert.equal(received.length, 0);
    await peer.setRemoteDescription({ type: 'answer', sdp: answer });
    await waitFor('the first packets', () => received.length > 20, 20_000);
  });

  after(async () => {
    clearInterval(feeder);
    await viewer?.close('test over');
    await peer?.close();
    broadcast?.close();
  });

  test('trap 4: H264 is answered with the track\'s profile 42e01f, packetization-mode 1', () => {
    const answer = peer.remoteDescription!.sdp;
    const fmtp = answer.match(/^a=fmtp:\d+ (.*)$/gm) ?? [];
    assert.equal(fmtp.length, 1, answer);
    assert.match(fmtp[0], /profile-level-id=42e01f/);
    assert.match(fmtp[0], /packetization-mode=1/);
  });

  test('trap 6: nothing is encoded or sent before DTLS connects; the first packet is a keyframe', () => {
    assert.equal(encodedBeforeConnected, 0, 'frames were encoded while nobody could watch');
    assert.equal(connectedAt, 0, 'packets arrived before the sender saw DTLS connected');
    assert.ok(broadcast.stats.framesUnwatched > 0, 'the feeder ran before the viewer connected');
    // The first frame (SPS and PPS, then the IDR slice, all at one RTP timestamp) is a keyframe.
    assert.ok(keyframesAt.length > 0);
    assert.equal(received[keyframesAt[0]].header.timestamp, received[0].header.timestamp, 'the first frame the viewer got is not a keyframe');
    // werift aggregates SPS and PPS into a STAP-A (type 24): its first NAL unit (after a 2-byte size) is the SPS.
    const first = received[0].payload;
    assert.equal((first[0] & 0x1f) === 24 ? first[3] & 0x1f : first[0] & 0x1f, 7, 'the first packet is not the SPS');
    assert.equal(broadcast.stats.encoderOpens, 1);
  });

  test('trap 5: every packet carries playout-delay min = max = 0', () => {
    const id = peer.getTransceivers()[0].headerExtensions.find((e) => e.uri === PLAYOUT_DELAY_URI)?.id;
    assert.ok(id, 'playout-delay was not negotiated');
    for (const p of received.slice(0, 20)) {
      const ext: { id: number; payload: Buffer } | undefined = p.header.extensions.find((e: { id: number }) => e.id === id);
      assert.ok(ext, `packet ${p.header.sequenceNumber} has no playout-delay extension`);
      assert.deepEqual([...ext.payload], [0, 0, 0]);
    }
  });

  test('PLI and FIR each bring a keyframe', async () => {
    const ssrc = received[0].header.ssrc;
    const before = keyframesAt.length;
    await peer.getTransceivers()[0].receiver.sendRtcpPLI(ssrc);
    await waitFor('a keyframe after PLI', () => keyframesAt.length > before);
    assert.equal(viewer.keyframeRequests.pli, 1);
    const dtls = peer.getTransceivers()[0].receiver.dtlsTransport;
    const afterPli = keyframesAt.length;
    const fir = RtcpPacketConverter.deSerialize(Buffer.from([0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, ...u32(ssrc), 1, 0, 0, 0]))[0];
    await dtls.sendRtcp([fir]);
    await waitFor('a keyframe after FIR', () => keyframesAt.length > afterPli);
    assert.equal(viewer.keyframeRequests.fir, 1);
  });

  test('trap 2: a NACK werift can answer is retransmitted; one for a packet it no longer holds brings a keyframe', async () => {
    const ssrc = received[0].header.ssrc;
    const dtls = peer.getTransceivers()[0].receiver.dtlsTransport;
    await waitFor('more than 128 packets sent', () => received.length > 160, 30_000);
    const last = received[received.length - 1].header.sequenceNumber;
    const recent = (last - 3) & 0xffff;
    const count = () => received.filter((p) => p.header.sequenceNumber === recent).length;
    const copies = count();
    await dtls.sendRtcp([nack(ssrc, [recent])]);
    await waitFor('the retransmission', () => count() > copies);
    assert.equal(viewer.keyframeRequests['nack-unanswerable'], 0);
    const before = keyframesAt.length;
    await dtls.sendRtcp([nack(ssrc, [(last - 150) & 0xffff])]);
    await waitFor('a keyframe for the packet werift dropped from its history', () => keyframesAt.length > before);
    assert.equal(viewer.keyframeRequests['nack-unanswerable'], 1);
  });

  test('trap 3: the encoder\'s rate follows the viewer\'s REMB (sent inside a compound with a NACK)', async () => {
    const ssrc = received[0].header.ssrc;
    const dtls = peer.getTransceivers()[0].receiver.dtlsTransport;
    await dtls.sendRtcp([nack(ssrc, [received[received.length - 1].header.sequenceNumber]), remb(700_000, ssrc)]);
    await waitFor('the encoder at the REMB rate', () => broadcast.stats.bitrateBps === 700_000);
    assert.equal(viewer.rembBps, 700_000);
    await dtls.sendRtcp([remb(100_000, ssrc)]);
    await waitFor('the rate clamped to the floor', () => broadcast.stats.bitrateBps === 300_000);
    await dtls.sendRtcp([remb(50_000_000, ssrc)]);
    await waitFor('the rate clamped to the ceiling', () => broadcast.stats.bitrateBps === 2_000_000);
  });

  test('the last viewer leaving closes the encoder; frames then are not encoded', async () => {
    await viewer.close('test');
    viewers.length = 0;
    const encoded = broadcast.stats.framesEncoded;
    const unwatched = broadcast.stats.framesUnwatched;
    await waitFor('frames dropped unencoded', () => broadcast.stats.framesUnwatched > unwatched + 5);
    assert.equal(broadcast.stats.encoders, 0);
    assert.equal(broadcast.stats.framesEncoded, encoded);
  });
});

function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}
