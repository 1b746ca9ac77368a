import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { letterbox } from '../../operators/holoviz/renderer/letterbox.ts';

// Every resolution the webcam page offers (apps/webrtc_video_client/client/index.html), plus portrait
// and odd sizes a phone or a decoder may deliver.
const SOURCES: [number, number][] = [[320, 240], [640, 480], [1280, 720], [1920, 1080], [480, 640], [1080, 1920], [176, 144], [1366, 768]];
const TARGETS: [number, number][] = [[1920, 1080], [1280, 720], [640, 360], [1024, 768], [640, 480], [320, 240]];

describe('letterbox', () => {
  for (const [w, h] of SOURCES) for (const [fw, fh] of TARGETS) {
    it(`${w}x${h} into ${fw}x${fh}: keeps the aspect, fills one side, centres the bars`, () => {
      const r = letterbox(w, h, fw, fh);
      assert.ok(r.x >= 0 && r.y >= 0 && r.x + r.w <= fw && r.y + r.h <= fh, `inside the target: ${JSON.stringify(r)}`);
      assert.ok(r.w === fw || r.h === fh, `fills the width or the height: ${JSON.stringify(r)}`);
      // Rounding to whole pixels may cost up to half a pixel on the scaled side.
      const scaledSide = r.w === fw ? Math.abs(r.h - (fw * h) / w) : Math.abs(r.w - (fh * w) / h);
      assert.ok(scaledSide <= 0.5 + 1e-9, `aspect ${w}:${h} kept within half a pixel: ${JSON.stringify(r)}`);
      assert.ok(Math.abs(r.x - (fw - r.x - r.w)) <= 1 && Math.abs(r.y - (fh - r.y - r.h)) <= 1, `bars centred: ${JSON.stringify(r)}`);
    });
  }

  it('pillarboxes 4:3 into 16:9 and letterboxes 16:9 into 4:3, to the pixel', () => {
    assert.deepEqual(letterbox(320, 240, 1920, 1080), { x: 240, y: 0, w: 1440, h: 1080 });
    assert.deepEqual(letterbox(640, 480, 1280, 720), { x: 160, y: 0, w: 960, h: 720 });
    assert.deepEqual(letterbox(1280, 720, 1024, 768), { x: 0, y: 96, w: 1024, h: 576 });
    assert.deepEqual(letterbox(1920, 1080, 640, 480), { x: 0, y: 60, w: 640, h: 360 });
    assert.deepEqual(letterbox(1920, 1080, 1920, 1080), { x: 0, y: 0, w: 1920, h: 1080 });
  });

  it('takes the whole target for a picture without a size', () => {
    assert.deepEqual(letterbox(0, 0, 640, 360), { x: 0, y: 0, w: 640, h: 360 });
  });
});
