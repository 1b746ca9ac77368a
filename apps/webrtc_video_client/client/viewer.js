// The WHEP viewer: a recvonly RTCPeerConnection, its offer POSTed to /whep, the answer applied; DELETE on Stop.
// Live statistics come from getStats(); latency from the time code some streams draw into their frames
// (Date.now() of the moment the frame was made, as TIME_CODE_BITS black/white blocks across the top eighth).
// Facts shared with the operators (colour, time code format), served by WebServerOp from operators/messages.
import { LUMA_WEIGHTS, TIME_CODE_BITS } from './holots/constants.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const token = new URLSearchParams(location.hash.slice(1)).get('token') || params.get('token');
const endpoint = params.get('endpoint') || 'whep';

let pc = null;
let resource = null;
let statsTimer = null;
let last = null;

/**
 * What tests and curious users can read: frames seen, time codes read, latencies in ms (time code -> the
 * frame's callback here) and, beside each, how much of it passed before Chromium had the whole frame
 * (requestVideoFrameCallback's receiveTime; null where the browser does not say): the rest is its decode
 * and render steps.
 */
window.viewer = { frames: 0, codes: 0, latencies: [], receiveLatencies: [], lastCode: null, error: null, answer: null };

function setState(state, text) {
  document.body.dataset.state = state;
  $('stat-state').textContent = state;
  $('status').textContent = text;
  $('start').disabled = state === 'connecting' || state === 'playing';
  $('stop').disabled = state === 'idle' || state === 'error';
}

function showError(text) {
  window.viewer.error = text;
  $('message').textContent = text;
  $('message').hidden = false;
  setState('error', 'Error: ' + text);
}

function headers(type) {
  const h = { 'Content-Type': type };
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

async function start() {
  $('message').hidden = true;
  window.viewer.error = null;
  setState('connecting', 'Connecting...');
  try {
    // The app's ICE servers (a TURN server when the server sits behind NAT), as WebRTCServerOp uses them.
    const config = await fetch(`${endpoint.replace(/\/$/, '')}/config`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    if (!config.ok) throw await answerError(config);
    const { iceServers } = await config.json();
    if (document.body.dataset.state !== 'connecting') return; // stopped meanwhile
    pc = new RTCPeerConnection({ iceServers: iceServers || [] });
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.ontrack = (e) => {
      const video = $('remote');
      video.srcObject = e.streams[0] || new MediaStream([e.track]);
      // autoplay alone leaves the video paused inside a frame that has had no click (the webcam page's panel).
      video.play().catch((err) => { if (err.name !== 'AbortError') showError(`the browser would not play the stream: ${err.message}`); });
    };
    pc.onconnectionstatechange = () => {
      if (!pc) return;
      if (pc.connectionState === 'failed') showError('the connection failed (is the server still running?)');
      if (pc.connectionState === 'disconnected') {
        setState('connecting', 'Connection interrupted, waiting...');
        checkServer();
      }
      if (pc.connectionState === 'connected' && document.body.dataset.state !== 'playing') setState('playing', 'Connected, waiting for pictures...');
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, 1000);
    const res = await fetch(endpoint, { method: 'POST', headers: headers('application/sdp'), body: pc.localDescription.sdp });
    if (res.status !== 201) throw await answerError(res);
    resource = new URL(res.headers.get('Location'), new URL(endpoint, location.href)).href;
    window.viewer.answer = await res.text();
    await pc.setRemoteDescription({ type: 'answer', sdp: window.viewer.answer });
    // The server closing its side (it stopped, or its encoder failed) ends DTLS at once; ICE would take seconds.
    const dtls = pc.getReceivers()[0] && pc.getReceivers()[0].transport;
    if (dtls) dtls.addEventListener('statechange', () => { if (pc && dtls.state === 'closed') ended('the server ended the stream'); });
    statsTimer = setInterval(updateStats, 1000);
    watchFrames();
  } catch (err) {
    await teardown();
    showError(err.message || String(err));
  }
}

/** The server's own words for a failed request (its JSON `error`, or the plain text). */
async function answerError(res) {
  let detail = await res.text();
  try { detail = JSON.parse(detail).error || detail; } catch { /* plain text */ }
  return new Error(`the server answered ${res.status}: ${detail}`);
}

/** Host candidates on a LAN or loopback come within milliseconds; the answer waits no longer than `ms`. */
function gathered(peer, ms) {
  if (peer.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); resolve(); };
    const timer = setTimeout(done, ms);
    peer.addEventListener('icegatheringstatechange', () => { if (peer.iceGatheringState === 'complete') done(); });
  });
}

/** The stream is over for good: say why and let go of the connection (nothing left to DELETE). */
function ended(why) {
  resource = null;
  void teardown();
  showError(why);
}

/** An interrupted connection: is the server still there? (GET /health, which the web server answers alone.) */
async function checkServer() {
  try {
    const res = await fetch('health', { signal: AbortSignal.timeout(1500) });
    if (res.status === 503) ended('the server is stopping');
  } catch (err) {
    if (pc) ended(`the server is gone (${err.message}); the stream ended`);
  }
}

async function teardown() {
  clearInterval(statsTimer);
  statsTimer = null;
  last = null;
  if (resource) {
    const url = resource;
    resource = null;
    // keepalive: the DELETE outlives a page (or an emptied frame) that is going away.
    await fetch(url, { method: 'DELETE', keepalive: true, headers: token ? { Authorization: `Bearer ${token}` } : {} }).catch(() => {});
  }
  if (pc) { pc.close(); pc = null; }
  $('remote').srcObject = null;
}

async function stop() {
  await teardown();
  setState('idle', 'Stopped. Press Start to watch again.');
}

async function updateStats() {
  if (!pc) return;
  const report = await pc.getStats();
  let inbound = null;
  report.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') inbound = s; });
  if (!inbound) return;
  const codec = inbound.codecId ? report.get(inbound.codecId) : null;
  $('stat-codec').textContent = codec ? codec.mimeType.replace('video/', '') : '–';
  if (inbound.frameWidth) $('stat-resolution').textContent = `${inbound.frameWidth}x${inbound.frameHeight}`;
  $('stat-fps').textContent = inbound.framesPerSecond !== undefined ? inbound.framesPerSecond.toFixed(1) : '–';
  if (last) {
    const kbps = ((inbound.bytesReceived - last.bytes) * 8) / (inbound.timestamp - last.t);
    $('stat-bitrate').textContent = `${Math.round(kbps)} kbit/s`;
  }
  last = { bytes: inbound.bytesReceived, t: inbound.timestamp };
  const l = window.viewer.latencies.slice(-30).sort((a, b) => a - b);
  $('stat-latency').textContent = l.length ? `${l[l.length >> 1].toFixed(0)} ms (median of ${l.length})` : 'no time code';
}

/** Reads the time code of each presented frame, if the stream draws one. */
function watchFrames() {
  const video = $('remote');
  if (!video.requestVideoFrameCallback) return;
  const canvas = document.createElement('canvas');
  canvas.width = TIME_CODE_BITS * 4;
  canvas.height = 4;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const { kr, kb } = LUMA_WEIGHTS.bt601; // as testkit/timecode.ts reads the same code
  const onFrame = (_now, metadata) => {
    if (!pc) return;
    const now = performance.timeOrigin + performance.now();
    window.viewer.frames++;
    if (window.viewer.frames === 1 || document.body.dataset.state !== 'playing') setState('playing', 'Playing.');
    const h = video.videoHeight;
    if (h > 0) {
      g.drawImage(video, 0, 0, video.videoWidth - (video.videoWidth % TIME_CODE_BITS), h / 8, 0, 0, canvas.width, canvas.height);
      const px = g.getImageData(0, 0, canvas.width, canvas.height).data;
      let ms = 0;
      let clean = true;
      for (let i = 0; i < TIME_CODE_BITS; i++) {
        const o = (2 * canvas.width + i * 4 + 2) * 4;
        const v = kr * px[o] + (1 - kr - kb) * px[o + 1] + kb * px[o + 2];
        if (v > 60 && v < 190) clean = false;
        ms = ms * 2 + (v > 128 ? 1 : 0);
      }
      // A plausible wall-clock time, not a picture that happens to be black and white.
      if (clean && Math.abs(now - ms) < 60_000) {
        window.viewer.codes++;
        window.viewer.lastCode = ms;
        window.viewer.latencies.push(now - ms);
        window.viewer.receiveLatencies.push(metadata && metadata.receiveTime > 0 ? performance.timeOrigin + metadata.receiveTime - ms : null);
        if (window.viewer.latencies.length > 600) { window.viewer.latencies.shift(); window.viewer.receiveLatencies.shift(); }
      }
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

/** `?scene`: the server's drawing can be changed here (webrtc_holoviz_server); each change POSTs /control. */
function sceneControls() {
  const form = $('scene');
  if (!params.has('scene')) return;
  form.hidden = false;
  form.addEventListener('change', async () => {
    const body = { box: form.box.checked, circle: form.circle.checked, text: form.text.checked, color: form.color.value };
    const res = await fetch('control', { method: 'POST', headers: headers('application/json'), body: JSON.stringify(body) }).catch((e) => ({ ok: false, status: 0, text: async () => e.message }));
    if (!res.ok) showError(`the drawing did not change: ${res.status} ${await res.text()}`);
  });
}

$('start').addEventListener('click', start);
$('stop').addEventListener('click', stop);
window.addEventListener('pagehide', () => { void teardown(); });
sceneControls();
setState('idle', 'Idle. Press Start to watch the stream.');
// ?embed: inside another page (the webcam page's "Back from holots" panel): no header, and it plays at once.
if (params.has('embed')) {
  document.body.classList.add('embed');
  void start();
}
