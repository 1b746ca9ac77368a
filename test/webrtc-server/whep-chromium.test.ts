/**
 * WebRTCServerOp end to end with real Chromium viewers on the real viewer page (WHEP over WebServerOp):
 * each codec plays and the time code drawn into the frames is read back in the page; the answer has the
 * negotiated facts the traps are about; two viewers share one encoder; bad input answers 4xx.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchChromium, peerConfigurations, recordPeerConfigurations, type Browser } from '../../testkit/chromium.ts';
import { waitFor } from '../../testkit/wait.ts';
import { startServerApp, viewerState, watch } from './helpers.ts';

let browser: Browser;
before(async () => { browser = await launchChromium(['--disable-features=WebRtcHideLocalIpsWithMdns']); });
after(async () => { await browser?.close(); });

describe('WHEP viewers in Chromium', () => {
  for (const codec of ['H264', 'VP8'] as const) {
    test(`${codec}: the page plays the stream and reads the time code drawn into each frame`, async () => {
      const s = await startServerApp({ codec, format: codec === 'VP8' ? 'rgba' : 'yuv420p' });
      const page = await browser.context.newPage();
      try {
        assert.equal((await s.playback()).stream.encoders, 0, 'an encoder was open before anyone watched');
        await watch(page, s.base);
        const v = await viewerState(page);
        // Codes are only counted when every block is clean black or white and the time is plausible.
        assert.ok(v.codes >= 15, `${v.codes} time codes read`);
        // Beside each latency, the part until Chromium had the whole frame: known, never more than the whole
        // (both ends of that difference are the page's clock), and mostly positive. A single frame's part
        // can read a few ms below 0: the time code is the server process's clock, the receive time the
        // page's, and the two agree only to a few ms.
        const split = v.latencies.map((l, i) => [l, v.receiveLatencies[i]] as const).filter(([, r]) => r !== null);
        assert.ok(split.length >= 10, `${split.length} frames with a receive time`);
        assert.ok(split.every(([l, r]) => r! <= l + 1), `receive part within the whole: ${JSON.stringify(split.slice(0, 5))}`);
        const parts = split.map(([, r]) => r!).sort((a, b) => a - b);
        assert.ok(parts[parts.length >> 1] > 0, `the median receive part is positive: ${JSON.stringify(parts)}`);
        await waitFor('the stats panel to show the stream', async () => (await page.textContent('#stat-codec')) === codec && (await page.textContent('#stat-resolution')) === '640x360');
        const answer = v.answer!;
        if (codec === 'H264') {
          // Trap 4: the track's profile (constrained baseline 42e01f, packetization-mode 1), not the offer's first H264.
          const fmtp = answer.match(/^a=fmtp:\d+ (.*)$/m)?.[1] ?? '';
          assert.match(fmtp, /profile-level-id=42e01f/, answer);
          assert.match(fmtp, /packetization-mode=1/, answer);
          assert.equal(answer.match(/^a=rtpmap:\d+ /gm)?.length, 1, 'one payload type answered');
        }
        // Trap 5: playout delay 0 is negotiated; trap 3: abs-send-time for REMB, no transport-cc extension.
        assert.match(answer, /a=extmap:\d+ http:\/\/www\.webrtc\.org\/experiments\/rtp-hdrext\/playout-delay/);
        assert.match(answer, /a=extmap:\d+ http:\/\/www\.webrtc\.org\/experiments\/rtp-hdrext\/abs-send-time/);
        assert.doesNotMatch(answer, /transport-wide-cc-extensions/);
        assert.match(answer, /a=sendonly/);
        // REMB reaches the sender and sets the shared encoder's rate (between the floor and the ceiling).
        const pb = await waitFor('a REMB estimate from Chromium', async () => { const p = await s.playback(); return p.viewers[0]?.rembBps > 0 ? p : null; });
        const rate = Number(pb.stream.bitrateBps);
        assert.ok(rate >= 300_000 && rate <= 4_000_000, `encoder rate ${rate}`);
        assert.ok(rate <= Math.max(300_000, pb.viewers[0].rembBps) || rate === 4_000_000, `encoder rate ${rate} ignores REMB ${pb.viewers[0].rembBps}`);
        assert.equal(pb.stream.encoders, 1);
        await page.click('#stop');
        await waitFor('the viewer to be gone and the encoder closed', async () => { const p = await s.playback(); return p.viewers.length === 0 && p.stream.encoders === 0; });
      } finally {
        await page.close();
        await s.stop();
      }
    });
  }

  test('two viewers share one encoder; bad input answers 4xx and the server keeps serving', async () => {
    const s = await startServerApp({ codec: 'H264', format: 'nv12' });
    const [a, b] = [await browser.context.newPage(), await browser.context.newPage()];
    try {
      await watch(a, s.base);
      await watch(b, s.base);
      const pb = await s.playback();
      assert.equal(pb.viewers.length, 2);
      assert.equal(pb.stream.encoders, 1, 'two viewers, one encoder');
      assert.equal(pb.stream.encoderOpens, 1, 'the second viewer did not reopen the encoder');

      const post = (body: string, type = 'application/sdp') => fetch(`${s.base}whep`, { method: 'POST', headers: { 'Content-Type': type }, body });
      const expect4xx = async (r: Response | Promise<Response>, status: number, pattern: RegExp) => {
        const res = await r;
        const text = await res.text();
        assert.equal(res.status, status, text);
        assert.match(text, pattern);
      };
      await expect4xx(post('hello'), 400, /not SDP/);
      await expect4xx(post('{"sdp":"v=0"}', 'application/json'), 415, /application\/sdp/);
      const offer = await b.evaluate(async () => {
        const pc = new RTCPeerConnection();
        pc.addTransceiver('video', { direction: 'recvonly' });
        const o = await pc.createOffer();
        pc.close();
        return o.sdp!;
      });
      await expect4xx(post(offer.replace(/a=recvonly/g, 'a=sendonly')), 400, /sendonly.*recvonly/);
      await expect4xx(post(offer.replace(/H264\/90000/g, 'X264/90000')), 400, /H264.*does not list/);
      await expect4xx(post(offer.replace(/^m=video[^\r\n]*/m, 'm=audio 9 UDP/TLS/RTP/SAVPF 111')), 400, /no video/);
      await expect4xx(fetch(`${s.base}whep/0d5c1a4e-0000-4000-8000-000000000000`, { method: 'DELETE' }), 404, /no viewer/);
      await expect4xx(fetch(`${s.base}whep/x`, { method: 'PATCH', headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' }, body: 'nonsense' }), 400, /trickle/);
      // The ingest side does not take viewers: a viewer's offer on /whip is not a WHEP request.
      const before = (await viewerState(a)).codes;
      await waitFor('both viewers to keep playing after the bad requests', async () => (await viewerState(a)).codes > before + 10 && (await s.playback()).viewers.length === 2);
    } finally {
      await a.close();
      await b.close();
      await s.stop();
    }
  });

  test('ice_servers reach the viewer page: GET /whep/config answers them (TURN credentials kept), the page\'s RTCPeerConnection has them, and it plays', async () => {
    // Nothing listens on 3478: host candidates on loopback still connect, as with an unreachable relay.
    const turn = { urls: ['turn:127.0.0.1:3478?transport=udp'], username: 'holots-viewer', credential: 'holots-secret' };
    const s = await startServerApp({ codec: 'VP8', server: { ice_servers: ['stun:127.0.0.1:3478', turn] } });
    const page = await browser.context.newPage();
    try {
      const r = await fetch(`${s.base}whep/config`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await r.json(), { iceServers: [{ urls: 'stun:127.0.0.1:3478' }, turn] });
      const bad = await fetch(`${s.base}whep/config`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: 'v=0' });
      assert.equal(bad.status, 405, await bad.text());
      assert.match(bad.headers.get('allow') ?? '', /GET/);

      await recordPeerConfigurations(page);
      await watch(page, s.base);
      const configs = await peerConfigurations(page);
      assert.equal(configs.length, 1, JSON.stringify(configs));
      const got = configs[0].iceServers?.find((x) => [x.urls].flat().some((u) => u.startsWith('turn:')));
      assert.ok(got, `the viewer's peer connection has the TURN server: ${JSON.stringify(configs[0].iceServers)}`);
      assert.deepEqual([got.urls].flat(), turn.urls);
      assert.equal(got.username, turn.username);
      assert.equal(got.credential, turn.credential);
    } finally {
      await page.close();
      await s.stop();
    }
  });
});
