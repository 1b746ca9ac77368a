import type { VideoFrame } from '../messages/index.ts';
import { fillRect } from './test-pattern.ts';

/**
 * A time code drawn into pictures so that whoever sees them (a browser, a test, a benchmark) can tell
 * when each was made: a millisecond wall-clock time as this many black/white blocks across the top
 * eighth, most significant bit first. testkit/timecode.ts and the viewer page read it back.
 */
export const TIME_CODE_BITS = 44;

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
