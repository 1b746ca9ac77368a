"""holohub's path for bench/webrtc-out.bench.ts: aiortc + PyAV encode the same kind of frames after an RGB
conversion (as holohub's WebRTCServerOp does), served to the same viewer page over a WHEP-shaped endpoint.
   /usr/bin/python3 bench/webrtc-out/aiortc_sender.py <H264|VP8> <width> <height> <page_dir> <constants.js>
(<constants.js>: what WebServerOp serves at /holots/constants.js, written out by the bench; the viewer imports it.)
Prints 'listening <port>'. ICE on 127.0.0.1 only."""
import asyncio, sys, time, fractions, uuid
import numpy as np
import av
import aioice.ice
from aiohttp import web
from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.rtcrtpsender import RTCRtpSender

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ['127.0.0.1']
CODEC, W, H, PAGE, CONSTANTS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
BITS = 44
stats = {'frames': 0}


class Source(VideoStreamTrack):
    """Moving box over a noise band, time code on top; YUV made by the source, then converted to RGB (holohub's copy)."""
    def __init__(self):
        super().__init__()
        self.i = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        y = np.full((H, W), 126, np.uint8)
        side = int(H * 0.2)
        travel = max(1, W - side)
        pos = abs((self.i * 8) % (2 * travel) - travel)
        x = travel - pos
        y0 = (H - side) // 2
        y[y0:y0 + side, x:x + side] = 235
        band = slice(int(H * 0.85), int(H * 0.95))
        y[band] = np.random.randint(0, 256, (band.stop - band.start, W), np.uint8)
        ms = int(time.time() * 1000)
        bw, bh = W // BITS, H // 8
        for b in range(BITS):
            bit = (ms >> (BITS - 1 - b)) & 1
            y[0:bh, b * bw:(b + 1) * bw] = 235 if bit else 16
        self.i += 1
        yuv = np.concatenate([y.reshape(-1), np.full(W * H // 2, 128, np.uint8)]).reshape(H * 3 // 2, W)
        rgb = av.VideoFrame.from_ndarray(yuv, format='yuv420p').to_ndarray(format='rgb24')
        frame = av.VideoFrame.from_ndarray(rgb, format='rgb24')
        frame.pts, frame.time_base = pts, time_base
        stats['frames'] += 1
        return frame


pcs = {}
source = None


async def whep(request):
    global source
    offer = await request.text()
    pc = RTCPeerConnection()
    vid = str(uuid.uuid4())
    pcs[vid] = pc
    if source is None:
        source = Source()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type='offer'))
    t = [x for x in pc.getTransceivers() if x.kind == 'video'][0]
    t.direction = 'sendonly'
    pc.addTrack(source)
    caps = [c for c in RTCRtpSender.getCapabilities('video').codecs if c.mimeType == f'video/{CODEC}']
    t.setCodecPreferences(caps)
    await pc.setLocalDescription(await pc.createAnswer())
    return web.Response(status=201, headers={'Location': f'/whep/{vid}', 'Content-Type': 'application/sdp'}, text=pc.localDescription.sdp)


async def delete(request):
    pc = pcs.pop(request.match_info['id'], None)
    if pc:
        await pc.close()
    return web.Response(status=200)


async def config(request):
    # The viewer page asks for its RTCPeerConnection configuration first; loopback needs no ICE servers.
    return web.json_response({'iceServers': []})


async def stat(request):
    return web.json_response({'stream': {'framesEncoded': stats['frames']}, 'viewers': [{} for _ in pcs]})


async def main():
    app = web.Application()
    app.router.add_post('/whep', whep)
    app.router.add_get('/whep', stat)
    app.router.add_get('/whep/config', config)
    app.router.add_get('/holots/constants.js', lambda request: web.FileResponse(CONSTANTS, headers={'Content-Type': 'text/javascript'}))
    app.router.add_delete('/whep/{id}', delete)
    app.router.add_static('/', PAGE)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, '127.0.0.1', 0)
    await site.start()
    print('listening', site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
