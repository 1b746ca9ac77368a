// holots WebRTC video client page: sends this browser's camera to the holots server over WebRTC.
// Plain browser JavaScript, no build step. Signaling is the seed's JSON protocol (POST /offer) plus
// trickle ICE (POST /offer/:id/candidate) and Stop (DELETE /offer/:id).
'use strict';

const $ = (id) => document.getElementById(id);

const ui = {
  start: $('start'),
  stop: $('stop'),
  resolution: $('video-resolution'),
  codec: $('video-codec'),
  camera: $('camera'),
  cameraField: $('camera-field'),
  frameRate: $('frame-rate'),
  maxBitrate: $('max-bitrate'),
  preview: $('preview'),
  viewPanel: $('view-panel'),
  view: $('view'),
  message: $('message'),
  status: $('status'),
  stat: {
    state: $('stat-state'),
    codec: $('stat-codec'),
    resolution: $('stat-resolution'),
    fps: $('stat-fps'),
    bitrate: $('stat-bitrate'),
    session: $('stat-session'),
  },
};

// A token (when the server has one) comes with the page's URL: #token=... (never sent to servers) or ?token=...
const token = new URLSearchParams(location.hash.slice(1)).get('token') || new URLSearchParams(location.search).get('token');

/** The server refused a request; `message` is its error text. */
class ServerError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** fetch itself failed: the server is down, or the network is. */
class UnreachableError extends Error {
  /** True when no answer came in time (the request was aborted), false when the connection itself failed. */
  constructor(message, timedOut = false) { super(message); this.timedOut = timedOut; }
}

/** While streaming, the server stopped answering: holots ended (or crashed), or the network to it is gone. */
class ServerGoneError extends Error {}

// From the moment a session starts (before its first request, so a server that dies while the page waits for
// its answer is noticed too) until it ends, the page asks GET /health once a second. The web server answers it alone (never the graph),
// so a busy worker or a slow fragment cannot make a live server look dead. A refused connection or a 503
// means the server is gone at once; no answer within HEARTBEAT_TIMEOUT_MS, HEARTBEAT_MISSES times in a row,
// means it froze. Without this the page would only learn from ICE, seconds later and blaming the network.
const HEARTBEAT_TIMEOUT_MS = 1500;
const HEARTBEAT_MISSES = 2;

/** The current session, or null. Each Start makes a new one; Stop or a failure ends it. */
let session = null;

// ---------------------------------------------------------------------------------------------
// State and messages

function setState(state, text) {
  document.body.dataset.state = state;
  ui.status.textContent = text;
  ui.stat.state.textContent = state;
  const busy = state === 'connecting' || state === 'streaming';
  ui.start.disabled = busy || !canUseCamera();
  ui.stop.disabled = !busy;
  for (const el of [ui.resolution, ui.codec, ui.camera]) el.disabled = busy;
}

function showMessage(text, items) {
  ui.message.replaceChildren(document.createTextNode(text));
  if (items && items.length) {
    const list = document.createElement('ul');
    for (const item of items) {
      const li = document.createElement('li');
      li.append(...item);
      list.append(li);
    }
    ui.message.append(list);
  }
  ui.message.hidden = false;
}

function clearMessage() {
  ui.message.hidden = true;
  ui.message.replaceChildren();
}

const code = (text) => {
  const el = document.createElement('code');
  el.textContent = text;
  return el;
};

function canUseCamera() {
  return window.isSecureContext && !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

/** The guide's unattended openssl command, with this page's host as the certificate's subjectAltName. */
function certificateCommand(host) {
  const bare = host.replace(/^\[|\]$/g, '');
  const isIp = /^[\d.]+$/.test(bare) || bare.includes(':');
  const san = `${isIp ? 'IP' : 'DNS'}:${bare},IP:127.0.0.1,DNS:localhost`;
  return `openssl req -x509 -newkey rsa:2048 -sha256 -days 365 -nodes -subj "/CN=holots" -addext "subjectAltName=${san}" -keyout MyKey.key -out MyCertificate.crt`;
}

/** Browsers only allow the camera on https:// or localhost; say how to get there (as the seed README does). */
function explainInsecureOrigin() {
  showMessage(`This page was opened from ${location.origin}, which the browser does not consider secure, so it will not share the camera. Two ways out:`, [
    ['Start the server with a certificate that names this address: make one with ', code(certificateCommand(location.hostname)),
      ', pass it with ', code('--cert-file MyCertificate.crt --key-file MyKey.key'), ' and open ', code(`https://${location.host}/`), '.'],
    ['Or in Chrome open ', code('chrome://flags/#unsafely-treat-insecure-origin-as-secure'), ', add ', code(location.origin), ', enable it and relaunch the browser.'],
  ]);
}

/** The server is not there any more (or never was): whenever the page finds out, it says so in the same words. */
const serverGone = (err) => err instanceof ServerGoneError || err instanceof UnreachableError;

/** Words for what went wrong, for a person rather than a console. */
function describeError(err) {
  if (serverGone(err)) return `holots stopped or is unreachable at ${location.origin} (${err.message}). Start the app again (or check the network), then press Start.`;
  if (err instanceof ServerError) return `The server answered ${err.status}: ${err.message}`;
  switch (err && err.name) {
    case 'NotAllowedError': return 'Camera access was denied. Allow the camera for this site (the camera icon in the address bar) and press Start again.';
    case 'NotFoundError': return 'No camera was found. Connect one and press Start again.';
    case 'NotReadableError': return 'The camera could not be started; another application may be using it.';
    case 'OverconstrainedError': return `The camera cannot deliver the requested ${err.constraint || 'settings'}. Choose another resolution or frame rate.`;
    case 'SecurityError': return 'The browser blocked camera access on this page (security policy).';
    default: return `Something went wrong: ${err && err.message ? err.message : String(err)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Server calls

async function api(path, init = {}) {
  const headers = { ...(init.headers || {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { ...init, headers });
  } catch (e) {
    const timedOut = !!e && (e.name === 'TimeoutError' || e.name === 'AbortError');
    throw new UnreachableError(timedOut ? 'no answer in time' : (e && e.message ? e.message : 'network error'), timedOut);
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    let message = text || response.statusText;
    try { message = JSON.parse(text).error || message; } catch { /* not JSON: keep the text */ }
    throw new ServerError(response.status, message);
  }
  return response.status === 204 ? null : response.json();
}

const postJson = (path, body) => api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

// ---------------------------------------------------------------------------------------------
// Codecs and cameras

/** Video codecs this browser can send, by MIME type (e.g. "video/VP8"). */
function sendableCodecs() {
  const caps = window.RTCRtpSender && RTCRtpSender.getCapabilities ? RTCRtpSender.getCapabilities('video') : null;
  return caps ? caps.codecs : [];
}

/** Hide the codec choices this browser cannot send. */
function offerSupportedCodecs() {
  const have = new Set(sendableCodecs().map((c) => c.mimeType.toLowerCase()));
  if (have.size === 0) return; // no capability API: leave the list, setCodecPreferences will tell
  for (const option of ui.codec.options) {
    if (option.value === 'default') continue;
    const supported = have.has(`video/${option.value.split('/')[0]}`.toLowerCase());
    option.hidden = !supported;
    option.disabled = !supported;
  }
}

/**
 * The codec list for setCodecPreferences: the chosen codec's entries (H264 constrained baseline with
 * packetization-mode=1 first, what every receiver handles) plus the retransmission/FEC helpers, taken
 * from the receiver's capabilities as the spec asks and limited to codecs this browser can also send.
 */
function preferredCodecs(choice) {
  const name = choice.split('/')[0].toLowerCase();
  const canSend = new Set(sendableCodecs().map((c) => `${c.mimeType.toLowerCase()} ${c.sdpFmtpLine || ''}`));
  const receive = window.RTCRtpReceiver && RTCRtpReceiver.getCapabilities ? RTCRtpReceiver.getCapabilities('video').codecs : sendableCodecs();
  const pool = receive.filter((c) => canSend.size === 0 || canSend.has(`${c.mimeType.toLowerCase()} ${c.sdpFmtpLine || ''}`) || /\/(rtx|red|ulpfec|flexfec-03)$/i.test(c.mimeType));
  const chosen = pool.filter((c) => c.mimeType.toLowerCase() === `video/${name}`);
  if (chosen.length === 0) return null;
  const rank = (c) => (/packetization-mode=1/.test(c.sdpFmtpLine || '') ? 0 : 1) + (/profile-level-id=42e01f/.test(c.sdpFmtpLine || '') ? 0 : 1);
  if (name === 'h264') chosen.sort((a, b) => rank(a) - rank(b));
  const helpers = pool.filter((c) => /\/(rtx|red|ulpfec)$/i.test(c.mimeType));
  return [...chosen, ...helpers];
}

/** Fill the camera list; shown only when there is a choice to make. Labels appear once access is granted. */
async function listCameras() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
  let devices;
  try {
    devices = await navigator.mediaDevices.enumerateDevices();
  } catch {
    return;
  }
  const cameras = devices.filter((d) => d.kind === 'videoinput' && d.deviceId);
  const chosen = ui.camera.value;
  ui.camera.replaceChildren(...cameras.map((d, i) => new Option(d.label || `Camera ${i + 1}`, d.deviceId, false, d.deviceId === chosen)));
  ui.cameraField.hidden = cameras.length < 2;
}

function mediaConstraints() {
  const video = {};
  const [w, h] = ui.resolution.value ? ui.resolution.value.split('x').map(Number) : [];
  if (w && h) {
    video.width = { ideal: w };
    video.height = { ideal: h };
  }
  const fps = Number(ui.frameRate.value);
  // ideal, not exact: a camera that cannot do exactly this rate still streams (exact gives OverconstrainedError).
  if (fps > 0) video.frameRate = { ideal: fps };
  if (!ui.cameraField.hidden && ui.camera.value) video.deviceId = { exact: ui.camera.value };
  return { audio: false, video: Object.keys(video).length ? video : true };
}

function maxBitrateBps() {
  const kbps = Number(ui.maxBitrate.value);
  return kbps > 0 ? Math.round(kbps * 1000) : undefined;
}

async function applyMaxBitrate(sender) {
  const params = sender.getParameters();
  if (!params.encodings || params.encodings.length === 0) params.encodings = [{}];
  const bps = maxBitrateBps();
  for (const e of params.encodings) {
    if (bps) e.maxBitrate = bps;
    else delete e.maxBitrate;
  }
  await sender.setParameters(params);
}

// ---------------------------------------------------------------------------------------------
// Start and Stop

async function start() {
  clearMessage();
  if (!canUseCamera()) {
    explainInsecureOrigin();
    setState('error', 'The camera is not available on this page.');
    return;
  }
  const s = { pc: null, stream: null, id: null, timer: null, heartbeat: null, candidates: [], sending: Promise.resolve(), closed: false, lastBytes: null, checking: false, view: 'unknown' };
  session = s;
  setState('connecting', 'Opening the camera…');
  s.heartbeat = setInterval(() => checkServer(s), 1000);
  try {
    s.stream = await navigator.mediaDevices.getUserMedia(mediaConstraints());
    if (s.closed) return stopTracks(s);
    ui.preview.srcObject = s.stream;
    listCameras(); // labels are known now

    // The app's ICE servers (none by default: host candidates serve a LAN and this machine; a TURN server
    // when the server sits behind NAT, e.g. in a container), as the WebRTC operator uses them.
    const configuration = await api('/config');
    if (s.closed) return stopTracks(s);
    s.pc = new RTCPeerConnection({ iceServers: configuration.iceServers || [] });
    const track = s.stream.getVideoTracks()[0];
    const transceiver = s.pc.addTransceiver(track, { direction: 'sendonly', streams: [s.stream] });
    if (ui.codec.value !== 'default') {
      const codecs = preferredCodecs(ui.codec.value);
      if (!codecs) throw new Error(`this browser cannot send ${ui.codec.value.split('/')[0]}`);
      transceiver.setCodecPreferences(codecs);
    }
    if (maxBitrateBps()) await applyMaxBitrate(transceiver.sender);
    if (s.closed) return;

    s.pc.addEventListener('icecandidate', (e) => trickle(s, e.candidate));
    s.pc.addEventListener('connectionstatechange', () => onConnectionState(s));

    setState('connecting', 'Connecting to the server…');
    await s.pc.setLocalDescription(await s.pc.createOffer());
    // Send the offer at once; candidates follow as the browser finds them (trickle ICE).
    const answer = await postJson('/offer', { sdp: s.pc.localDescription.sdp, type: 'offer' });
    if (s.closed) {
      closeSession(s, answer.session_id);
      return;
    }
    s.id = answer.session_id;
    ui.stat.session.textContent = s.id;
    await s.pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    flushCandidates(s);
    s.timer = setInterval(() => {
      updateStats(s);
      lookForView(s);
    }, 1000);
  } catch (err) {
    if (s.closed) return;
    fail(s, err);
  }
}

function trickle(s, candidate) {
  // A null candidate means gathering is done: tell the server with an empty candidate.
  const init = candidate ? candidate.toJSON() : { candidate: '', sdpMid: null, sdpMLineIndex: null };
  s.candidates.push(init);
  if (s.id) flushCandidates(s);
}

/** Candidates go out in order, one request after the other, once the session id is known. */
function flushCandidates(s) {
  const batch = s.candidates.splice(0);
  for (const c of batch) {
    s.sending = s.sending.then(() => (s.closed ? null : postJson(`/offer/${encodeURIComponent(s.id)}/candidate`, c))).catch((err) => {
      if (!s.closed) console.warn('holots: candidate not delivered:', err.message);
    });
  }
}

function onConnectionState(s) {
  if (s !== session || s.closed) return;
  switch (s.pc.connectionState) {
    case 'connected':
      setState('streaming', 'Streaming to the server.');
      break;
    case 'disconnected':
      setState('connecting', 'Connection interrupted; trying to recover…');
      checkServer(s);
      break;
    case 'failed':
      fail(s, new Error('the connection to the server failed (ICE could not find a path; check that the server is reachable on UDP)'));
      break;
  }
}

function fail(s, err) {
  console.error('holots:', err);
  const wasId = s.id;
  endSession(s);
  // A server that is gone has no session left to close.
  if (wasId && !serverGone(err)) closeSession(s, wasId);
  showMessage(describeError(err));
  setState('error', serverGone(err) ? `holots stopped or is unreachable: ${err.message}` : 'Stopped after an error.');
}

/** The heartbeat: a refused GET /health, a 503 from a server shutting down, or repeated silence ends the session. */
async function checkServer(s) {
  if (s.checking || s.closed) return;
  s.checking = true;
  try {
    await api('/health', { signal: AbortSignal.timeout(HEARTBEAT_TIMEOUT_MS) });
    s.missedBeats = 0;
  } catch (err) {
    const silent = err instanceof UnreachableError && err.timedOut;
    if (silent) s.missedBeats = (s.missedBeats || 0) + 1;
    const gone = (err instanceof UnreachableError && (!silent || s.missedBeats >= HEARTBEAT_MISSES)) || (err instanceof ServerError && err.status === 503);
    if (gone && s === session && !s.closed) fail(s, new ServerGoneError(err.message));
  } finally {
    s.checking = false;
  }
}

function stopTracks(s) {
  if (s.stream) for (const t of s.stream.getTracks()) t.stop();
}

/** Ends everything local: timers, peer connection, camera, preview. */
function endSession(s) {
  s.closed = true;
  clearInterval(s.timer);
  clearInterval(s.heartbeat);
  if (s.pc) s.pc.close();
  stopTracks(s);
  if (session === s) {
    session = null;
    ui.preview.srcObject = null;
    hideView();
  }
}

/** Tells the server the session is over; the page does not wait for it. */
function closeSession(s, id, keepalive = false) {
  return api(`/offer/${encodeURIComponent(id)}`, { method: 'DELETE', keepalive }).catch((err) => {
    // 404: the server already forgot it (restart, timeout); nothing left to close.
    if (!(err instanceof ServerError && err.status === 404)) console.warn('holots: could not close the session:', err.message);
  });
}

async function stop() {
  const s = session;
  if (!s) return;
  const id = s.id;
  endSession(s);
  setState('idle', 'Stopped. Press Start to stream again.');
  resetStats();
  if (id) await closeSession(s, id);
}

// ---------------------------------------------------------------------------------------------
// The picture the app sends back (webrtc_video_client --view: HolovizOp -> WebRTCServerOp -> WHEP)

/**
 * Shows the app's picture under the camera once one is on its way: GET /whep answers with a stream whose
 * pictures are arriving (framesIn > 0). Asked once a second, one request at a time, until then. An app
 * without a WebRTC sender answers 404 or, after its reply timeout, 504: the page stops asking.
 */
async function lookForView(s) {
  if (s.view !== 'unknown' || s.closed) return;
  s.view = 'asking';
  try {
    const playback = await api('/whep');
    if (s.closed || s !== session) return;
    if (playback && playback.stream && playback.stream.framesIn > 0) {
      s.view = 'shown';
      showView();
      return;
    }
    s.view = 'unknown';
  } catch (err) {
    s.view = err instanceof ServerError && (err.status === 404 || err.status === 504) ? 'none' : 'unknown';
  }
}

/** The WHEP viewer page, embedded: it starts at once and DELETEs its viewer when the frame is emptied. */
function showView() {
  ui.view.src = `viewer.html?embed${token ? `#token=${encodeURIComponent(token)}` : ''}`;
  ui.viewPanel.hidden = false;
}

function hideView() {
  ui.viewPanel.hidden = true;
  ui.view.src = 'about:blank';
}

// ---------------------------------------------------------------------------------------------
// Live statistics from getStats, once a second

async function updateStats(s) {
  if (s.closed || !s.pc) return;
  let report;
  try {
    report = await s.pc.getStats();
  } catch {
    return;
  }
  let out = null;
  report.forEach((r) => {
    if (r.type === 'outbound-rtp' && r.kind === 'video') out = r;
  });
  if (!out) return;
  const codec = out.codecId ? report.get(out.codecId) : null;
  ui.stat.codec.textContent = codec ? codec.mimeType.replace(/^video\//, '') : '–';
  ui.stat.resolution.textContent = out.frameWidth ? `${out.frameWidth}×${out.frameHeight}` : '–';
  ui.stat.fps.textContent = out.framesPerSecond !== undefined ? `${Math.round(out.framesPerSecond)} fps` : '–';
  if (s.lastBytes) {
    const kbps = ((out.bytesSent - s.lastBytes.bytes) * 8) / (out.timestamp - s.lastBytes.t);
    ui.stat.bitrate.textContent = `${Math.max(0, Math.round(kbps))} kbit/s`;
  }
  s.lastBytes = { bytes: out.bytesSent, t: out.timestamp };
}

function resetStats() {
  for (const key of ['codec', 'resolution', 'fps', 'bitrate', 'session']) ui.stat[key].textContent = '–';
}

// ---------------------------------------------------------------------------------------------
// Live changes while streaming: frame rate through the track, bitrate through the sender

ui.frameRate.addEventListener('change', () => {
  const s = session;
  const track = s && s.stream && s.stream.getVideoTracks()[0];
  const fps = Number(ui.frameRate.value);
  if (track && fps > 0) track.applyConstraints({ ...track.getConstraints(), frameRate: { ideal: fps } }).catch((err) => showMessage(describeError(err)));
});

ui.maxBitrate.addEventListener('change', () => {
  const sender = session && session.pc && session.pc.getSenders()[0];
  if (sender) applyMaxBitrate(sender).catch((err) => showMessage(describeError(err)));
});

ui.start.addEventListener('click', () => { start(); });
ui.stop.addEventListener('click', () => { stop(); });

// Leaving the page ends the session on the server too (keepalive lets the request outlive the page).
window.addEventListener('pagehide', () => {
  const s = session;
  if (s && s.id) {
    endSession(s);
    closeSession(s, s.id, true);
  }
});

if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) navigator.mediaDevices.addEventListener('devicechange', listCameras);

offerSupportedCodecs();
listCameras();
if (!canUseCamera()) {
  explainInsecureOrigin();
  setState('error', 'The camera is not available on this page.');
} else {
  setState('idle', 'Idle. Choose the settings and press Start.');
}
