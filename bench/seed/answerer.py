#!/usr/bin/python3
"""
The seed's receive path, for bench/seed.bench.ts: what holohub's webrtc_video_client does between the
browser and HolovizOp, and nothing more.

- aiohttp serves the seed's signaling: POST /offer {sdp, type} -> {sdp, type} (plus session_id here, so
  the bench can close one session).
- aiortc answers with RTCPeerConnection(RTCConfiguration(iceServers=[])) (the seed uses a public STUN
  server; the bench never does).
- A "compute" thread does what the seed operator's compute() does, over and over: it waits on the
  track with asyncio.run_coroutine_threadsafe(track.recv(), loop).result() and converts with
  frame.to_rgb().to_ndarray(). Then it reads the page's canvas time code from the RGB array, as the
  holots side's sink reads it from the Y plane (44 pixels, a negligible cost on both sides).
- GET /stats returns the samples since POST /reset, and time.process_time() (all threads) as a
  cross-check of the CPU the bench reads from /proc/<pid>/stat.

Run with Debian's python (python3-aiortc 1.4, python3-av 10, python3-aiohttp):
  /usr/bin/python3 bench/seed/answerer.py [--port 0]     prints {"port": N} on stdout once listening
"""
import argparse
import asyncio
import json
import sys
import threading
import time
import uuid

import aioice.ice
from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

BITS = 44
RTP_WRAP = 2 ** 32

# Loopback only, as the holots side: aioice would otherwise gather every address of the machine, and ICE
# checks to them cost time and CPU that the holots side (127.0.0.1 only) does not spend.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ['127.0.0.1']
# --clock rtp reads latency from each frame's RTP timestamp (the scale bench's senders stamp their wall clock),
# but aiortc re-bases frame pts to the stream's first timestamp; keep the sender's own (only the pts changes).
import aiortc.rtcrtpreceiver
aiortc.rtcrtpreceiver.TimestampMapper.map = lambda self, timestamp: timestamp
CLOCK = 'timecode'


def read_time_code(img):
    """Date.now() as 44 black/white blocks across the top eighth of the picture; the RGB twin of
    readTimeCode in the holots bench (full-range RGB here: black ~0, white ~255, the grey field ~128)."""
    h, w = img.shape[0], img.shape[1]
    bw, bh = w // BITS, h // 8
    row = img[bh >> 1]
    ms = 0
    clean = True
    for i in range(BITS):
        v = int(row[i * bw + (bw >> 1), 1])  # green carries most of the luma
        if 60 < v < 190:
            clean = False
        ms = ms * 2 + (1 if v > 128 else 0)
    field = int(img[h >> 1, w >> 1, 1])
    if abs(field - 128) > 14:
        clean = False
    return ms, clean


class Answerer:
    def __init__(self):
        self.loop = None
        self.pcs = {}
        self.tracks = []  # (session_id, track) waiting for the compute thread
        self.tracks_cv = threading.Condition()
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with getattr(self, 'lock', threading.Lock()):
            self.samples = []  # [latency_ms, recv_ms, convert_ms, width, height]
            self.damaged = 0
            self.frames = 0
            self.streams = {}
            self.since = time.time()

    # --- signaling (asyncio thread) ---
    async def offer(self, request):
        params = await request.json()
        offer = RTCSessionDescription(sdp=params['sdp'], type=params['type'])
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        sid = uuid.uuid4().hex[:12]
        self.pcs[sid] = pc

        @pc.on('track')
        def on_track(track):
            if track.kind == 'video':
                with self.tracks_cv:
                    self.tracks.append((sid, track))
                    self.tracks_cv.notify()

        @pc.on('connectionstatechange')
        async def on_state():
            if pc.connectionState in ('failed', 'closed'):
                await pc.close()
                self.pcs.pop(sid, None)

        await pc.setRemoteDescription(offer)
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
        return web.json_response({'sdp': pc.localDescription.sdp, 'type': pc.localDescription.type, 'session_id': sid})

    async def close(self, request):
        params = await request.json()
        pc = self.pcs.pop(params.get('session_id'), None)
        if pc:
            await pc.close()
        return web.json_response({'ok': pc is not None})

    async def stats(self, _request):
        with self.lock:
            body = {
                'frames': self.frames, 'damaged': self.damaged, 'samples': self.samples,
                'seconds': time.time() - self.since, 'process_time': time.process_time(), 'sessions': len(self.pcs), 'streams': dict(self.streams),
            }
        return web.json_response(body)

    async def reset_handler(self, _request):
        self.reset()
        return web.json_response({'ok': True, 'process_time': time.process_time()})

    # --- the seed operator's compute(), on its own thread as Holoscan runs it; one operator per stream ---
    def compute_loop(self):
        while True:
            with self.tracks_cv:
                while not self.tracks:
                    self.tracks_cv.wait()
                sid, track = self.tracks.pop(0)
            threading.Thread(target=self.consume, args=(sid, track), daemon=True).start()

    def consume(self, sid, track):
            while True:
                t0 = time.time()
                try:
                    frame = asyncio.run_coroutine_threadsafe(track.recv(), self.loop).result()
                except MediaStreamError:
                    break
                t1 = time.time()
                img = frame.to_rgb().to_ndarray()
                t2 = time.time()
                if CLOCK == 'rtp':
                    # The scale bench's senders stamp RTP with their wall clock (ms x 90); aiortc keeps it as pts.
                    tc, clean = t2 * 1000 - ((round(t2 * 90000) - frame.pts) % RTP_WRAP) / 90, True
                else:
                    tc, clean = read_time_code(img)
                with self.lock:
                    self.frames += 1
                    self.streams[sid] = self.streams.get(sid, 0) + 1
                    if clean:
                        self.samples.append([t2 * 1000 - tc, (t1 - t0) * 1000, (t2 - t1) * 1000, img.shape[1], img.shape[0]])
                    else:
                        self.damaged += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--clock', choices=['timecode', 'rtp'], default='timecode')
    args = ap.parse_args()
    global CLOCK
    CLOCK = args.clock
    a = Answerer()
    app = web.Application()
    app.router.add_post('/offer', a.offer)
    app.router.add_post('/close', a.close)
    app.router.add_get('/stats', a.stats)
    app.router.add_post('/reset', a.reset_handler)

    async def serve():
        a.loop = asyncio.get_running_loop()
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, args.host, args.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        threading.Thread(target=a.compute_loop, daemon=True).start()
        print(json.dumps({'port': port}), flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    sys.exit(main())
