import { TIME_CODE_BITS, type VideoFrame } from '../messages/index.ts';
import { fillRect } from './test-pattern.ts';

// The format's one fact lives with the shared messages, so the viewer page can have it too.
export { TIME_CODE_BITS };

/** Draws `ms` (wall-clock milliseconds) into the top eighth of `frame`, in the frame's own format. */
export function drawTimeCode(frame: VideoFrame, ms: number): void {
  const bw = Math.floor(frame.width / TIME_CODE_BITS);
  const bh = Math.floor(frame.height / 8);
  let v = Math.round(ms);
  for (let i = TIME_CODE_BITS - 1; i >= 0; i--) {
    const bit = v % 2;
    v = Math.floor(v / 2);
    fillRect(frame, i * bw, 0, (i + 1) * bw, bh, bit ? [255, 255, 255] : [0, 0, 0]);
  }
}
