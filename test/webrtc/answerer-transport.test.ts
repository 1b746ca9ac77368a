import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaStreamTrack, RTCPeerConnection, useNACK, usePLI, RTCRtpCodecParameters } from 'werift';
import { namesStunServer, prepareAnswererTransports } from '../../operators/rtc/answerer-transport.ts';
import { waitFor } from '../../testkit/wait.ts';

const vp8 = () => new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: [useNACK(), usePLI()] });
/** A werift peer on loopback only, as holots' answerers are configured. */
const peer = (iceServers: { urls: string }[] = []) => new RTCPeerConnection({ codecs: { video: [vp8()], audio: [] }, iceServers, iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false, bundlePolicy: 'max-bundle' });

/** An offerer (werift, sending video) and an answerer prepared the way holots' operators prepare theirs. */
async function negotiate(offerSetup: 'actpass' | 'passive') {
  const offerer = peer();
  offerer.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
  await offerer.setLocalDescription(await offerer.createOffer());
  await waitFor('offerer gathered', () => offerer.iceGatheringState === 'complete' || undefined, 5000);
  const offerSdp = offerer.localDescription!.sdp.replace(/a=setup:actpass/g, `a=setup:${offerSetup}`);
  const answerer = peer();
  await answerer.setRemoteDescription({ type: 'offer', sdp: offerSdp });
  prepareAnswererTransports(answerer, { stunConfigured: false, offerSetup });
  await answerer.setLocalDescription(await answerer.createAnswer());
  return { offerer, answerer };
}

test('an answerer takes the DTLS server side of an actpass offer, asks no STUN server it was not given, and connects', async () => {
  const { offerer, answerer } = await negotiate('actpass');
  try {
    assert.match(answerer.localDescription!.sdp, /a=setup:passive/);
    const connection = answerer.getTransceivers()[0].dtlsTransport.iceTransport.connection;
    assert.equal(connection.stunServer, undefined, 'werift would otherwise fall back to stun.l.google.com');
    assert.doesNotMatch(answerer.localDescription!.sdp, /typ srflx/);
    await offerer.setRemoteDescription(answerer.localDescription!);
    await waitFor('both connected', () => (offerer.connectionState === 'connected' && answerer.connectionState === 'connected') || undefined, 10_000);
    assert.equal(answerer.getTransceivers()[0].dtlsTransport.role, 'server');
  } finally {
    await Promise.all([offerer.close(), answerer.close()]);
  }
});

test('an offer of a=setup:passive makes the answerer the DTLS client, and the pair still connects', async () => {
  const { offerer, answerer } = await negotiate('passive');
  try {
    assert.match(answerer.localDescription!.sdp, /a=setup:active/);
    await offerer.setRemoteDescription(answerer.localDescription!);
    await waitFor('both connected', () => (offerer.connectionState === 'connected' && answerer.connectionState === 'connected') || undefined, 10_000);
  } finally {
    await Promise.all([offerer.close(), answerer.close()]);
  }
});

test('a configured STUN server is kept; only stun: and stuns: URLs count as one', async () => {
  const offerer = peer();
  offerer.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
  const answerer = peer([{ urls: 'stun:127.0.0.1:9' }]);
  try {
    await answerer.setRemoteDescription(await offerer.createOffer());
    prepareAnswererTransports(answerer, { stunConfigured: true, offerSetup: 'actpass' });
    assert.deepEqual(answerer.getTransceivers()[0].dtlsTransport.iceTransport.connection.stunServer, ['127.0.0.1', 9]);
  } finally {
    await Promise.all([offerer.close(), answerer.close()]);
  }
  assert.equal(namesStunServer([]), false);
  assert.equal(namesStunServer(['turn:example.org:3478']), false);
  assert.equal(namesStunServer([{ urls: ['turns:example.org', 'STUN:example.org'] }]), true);
  assert.equal(namesStunServer(['stuns:example.org:5349']), true);
});
