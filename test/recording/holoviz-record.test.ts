/**
 * Recording what HolovizOp drew: its render_buffer_output (RGBA) into VideoStreamRecorderOp's `frames`
 * input, encoded and written; the file replays with the drawing in it, and the graph ends by itself.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Application } from '../../framework/index.ts';
import { HolovizOp } from '../../operators/holoviz/index.ts';
import { VideoFileReader, VideoStreamRecorderOp } from '../../operators/recording/index.ts';
import { TestPatternOp } from '../../operators/video/index.ts';
import { near, px, withoutDisplay } from '../holoviz/helpers.ts';

withoutDisplay();

for (const codec of ['VP8', 'H264'] as const) {
  test(`HolovizOp's render buffer recorded through \`frames\` (${codec}): the file holds what was drawn`, { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'holots-viz-record-'));
    try {
      const app = new Application('record_holoviz', { logLevel: 'warn' });
      const src = app.add('src', TestPatternOp, { params: { width: 320, height: 240, format: 'yuv420p', pattern: 'solid', color: [0, 0, 255] }, conditions: [{ type: 'count', count: 20 }, { type: 'periodic', period: '30Hz' }] });
      const viz = app.add('viz', HolovizOp, {
        params: {
          width: 320, height: 240, headless: true, enable_render_buffer_output: true,
          tensors: [
            { name: 'video', type: 'color' },
            // A filled red square in the middle: x 0.375..0.625, y 0.375..0.625 (120..200, 90..150 px).
            { name: 'mark', type: 'rectangles', color: [1, 0, 0, 1], line_width: 40, priority: 1, data: [[0.45, 0.45], [0.55, 0.55]] },
          ],
        },
      });
      const rec = app.add('recorder', VideoStreamRecorderOp, { params: { directory: dir, file_pattern: 'drawn.{ext}', codec, bitrate_kbps: 1500 } });
      app.addFlow(src, viz, [['out', 'receivers']]);
      app.addFlow(viz, rec, [['render_buffer_output', 'frames']]);
      let rendered = 0;
      app.output(viz, 'render_buffer_output').subscribe(() => { rendered++; });
      await app.run(); // ends by itself: the source's count runs out, HolovizOp and then the recorder follow

      const files = readdirSync(dir);
      assert.deepEqual(files, [`drawn.${codec === 'VP8' ? 'webm' : 'mkv'}`], 'one finished file, no .part left');
      const reader = await VideoFileReader.open(join(dir, files[0]), 'rgba');
      let pictures = 0, last;
      for (let s; (s = await reader.next());) for (const p of s.pictures) { pictures++; last = p; }
      await reader.close();
      // HolovizOp may skip pictures when the machine is busy (newest wins); the recorder loses none it is handed.
      assert.ok(rendered >= 5, `HolovizOp rendered ${rendered} of 20`);
      assert.equal(pictures, rendered, `${pictures} pictures recorded of ${rendered} rendered`);
      assert.equal(last!.width, 320);
      const d = last!.planes[0].data;
      // Lossy codec: colours within a margin. Blue background, the red mark in the middle.
      assert.ok(near(px(d, 320, 30, 30), [0, 0, 255, 255], 40), `background ${px(d, 320, 30, 30)}`);
      assert.ok(near(px(d, 320, 160, 120), [255, 0, 0, 255], 40), `mark ${px(d, 320, 160, 120)}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
