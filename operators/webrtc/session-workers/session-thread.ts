/**
 * A session worker's thread: whole sessions (werift peer connection with its UDP socket, frame assembler,
 * node-av decoder) in a LocalSessions, driven by requests from WorkerSessions on the operator's thread.
 * Pictures go back through each session's shared ring; everything else is small plain data.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SignalingError } from '../../messages/index.ts';
import { LocalSessions } from '../local-sessions.ts';
import { openDecoders } from '../video-decoder.ts';
import { PictureRingWriter } from './picture-transfer.ts';
import type { FromSessionWorker, ReplyValue, SessionWorkerData, ToSessionWorker } from './protocol.ts';

const port = parentPort!;
const { options } = workerData as SessionWorkerData;
const post = (msg: FromSessionWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

/** Each session's shared picture ring (see picture-transfer.ts). */
const rings = new Map<string, PictureRingWriter>();

const sessions = new LocalSessions(options, {
  onPicture(frame, meta) {
    let ring = rings.get(meta.sessionId);
    if (!ring) { ring = new PictureRingWriter(); rings.set(meta.sessionId, ring); }
    post({ t: 'picture', meta, picture: ring.write(frame) });
  },
  onEncoded(id, codec, frame, width, height) {
    // The depacketizer's buffer may be a view into a shared pool: copy the few kB and move the copy.
    const data = new Uint8Array(frame.data);
    post({ t: 'encoded', id, codec, width, height, frame: { data, keyframe: frame.keyframe, rtpTimestamp: frame.rtpTimestamp, arrivalTime: frame.arrivalTime, packets: frame.packets } }, [data.buffer]);
  },
  onClosed(id, reason, codec) { rings.delete(id); post({ t: 'closed', id, reason, codec }); },
}, {
  info: (message) => post({ t: 'log', level: 'info', message }),
  warn: (message) => post({ t: 'log', level: 'warn', message }),
  debug: (message) => post({ t: 'log', level: 'debug', message }),
});

async function answer(msg: Exclude<ToSessionWorker, { t: 'fault' }>): Promise<ReplyValue> {
  switch (msg.t) {
    case 'open': return { answer: await sessions.open(msg.id, msg.sdp, msg.waitForGathering) };
    case 'fragment': await sessions.addFragment(msg.id, msg.fragment); return {};
    case 'candidate': await sessions.addCandidate(msg.id, msg.candidate); return {};
    case 'close': await sessions.close(msg.id, msg.reason); return {};
    case 'stats': return { stats: sessions.statsNow(), decoders: openDecoders() };
    case 'shutdown': await sessions.closeAll(msg.reason); return { decoders: openDecoders() };
  }
}

/**
 * An uncaught error ends this worker, but not at once: node-av's decodes in flight run on libuv's pool and
 * complete into this thread, and a thread torn down under one aborts the whole process (napi_throw during
 * teardown). So: tell the operator's thread (it ends the sessions with the reason and starts a replacement),
 * close every session (each waits for its decoder), then end the thread.
 */
let failing = false;
async function fail(err: unknown): Promise<void> {
  if (failing) return;
  failing = true;
  const e = err instanceof Error ? err : new Error(String(err));
  post({ t: 'fatal', name: e.name, message: e.message, stack: e.stack });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([sessions.closeAll('session worker failing'), new Promise((r) => { timer = setTimeout(r, FAIL_CLOSE_MS); })]);
  clearTimeout(timer);
  process.exit(1);
}
const FAIL_CLOSE_MS = 3000;
process.on('uncaughtException', (err) => { void fail(err); });
process.on('unhandledRejection', (err) => { void fail(err); });

port.on('message', (msg: ToSessionWorker) => {
  if (failing) return;
  if (msg.t === 'fault') {
    // Outside any promise chain, so it is uncaught and ends the thread as a real bug would.
    setImmediate(() => { throw new Error(msg.message); });
    return;
  }
  answer(msg).then(
    (value) => post({ t: 'reply', rid: msg.rid, ok: true, value }),
    (err: unknown) => post({
      t: 'reply', rid: msg.rid, ok: false,
      status: err instanceof SignalingError ? err.status : 500,
      error: err instanceof Error ? err.message : String(err),
    }),
  );
});
post({ t: 'ready' });
