/**
 * The floor under any receiver: node-av decoding an encoded stream from memory, nothing else, in a process
 * of its own. The bench driver writes the frames a sender produced (the same stream the receivers got; for
 * bench:seed the clip sender's own clip, `dump` in bench/senders/clip-sender.ts) to a file: a JSON header
 * line {codec, frames: [{key, bytes}]} and then the frames' bytes back to back. This process reads it,
 * decodes every frame from the first keyframe on, --loops times over (a clip that starts with a keyframe
 * loops as the sender loops it), with holots' VideoDecoder (synchronous; each picture copied once into
 * the decoder's yuv420p ring, as any consumer in JavaScript needs it: what the receive path does minus RTP,
 * SRTP, assembly and the graph) and prints
 * {frames, pictures, errors, cpuMs, cpuMsPerFrame, width, height} measured around the decode loop only.
 *
 * Usage: node --import tsx bench/receivers/decode-floor.ts FILE [--loops 1]
 */
import { readFileSync } from 'node:fs';
import { CODECS, VideoDecoder, type CodecName } from '../../operators/webrtc/index.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: decode-floor.ts FILE [--loops N]');
const loops = process.argv.includes('--loops') ? Number(process.argv[process.argv.indexOf('--loops') + 1]) : 1;
const raw = readFileSync(file);
const nl = raw.indexOf(10);
const header = JSON.parse(raw.subarray(0, nl).toString('utf8')) as { codec: CodecName; frames: { key: boolean; bytes: number }[] };
let offset = nl + 1;
const frames = header.frames.map((f, i) => {
  const data = raw.subarray(offset, offset + f.bytes);
  offset += f.bytes;
  return { data, keyframe: f.key, rtpTimestamp: i * 3000, arrivalTime: 0, packets: 1 };
});
const first = frames.findIndex((f) => f.keyframe);
if (first < 0) throw new Error('the recording has no keyframe');

const decoder = new VideoDecoder(CODECS[header.codec], 'yuv420p', false);
let pictures = 0, errors = 0, width = 0, height = 0;
const t0 = process.cpuUsage();
for (let loop = 0; loop < loops; loop++) {
  for (const f of frames.slice(first)) {
    try {
      for (const p of await decoder.decode(f)) { pictures++; width = p.frame.width; height = p.frame.height; }
    } catch {
      errors++;
    }
  }
}
const used = process.cpuUsage(t0);
await decoder.close();
const cpuMs = (used.user + used.system) / 1000;
console.log(JSON.stringify({ frames: (frames.length - first) * loops, pictures, errors, cpuMs, cpuMsPerFrame: cpuMs / Math.max(1, pictures), width, height }));
