import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { PNG } from 'pngjs';
import { Application, defineOperator, port } from '../../framework/index.ts';
import { GlfwWindowProvider, HolovizOp, KeyEventMessage, type KeyEvent } from '../../operators/holoviz/index.ts';
import { Renderer } from '../../operators/holoviz/renderer/renderer.ts';
import { COLOR_BARS, renderTestPattern, TestPatternOp, TestPatternParams } from '../../operators/video/index.ts';
import { near, px } from './helpers.ts';
import { startXvfb, type Xvfb } from '../../testkit/xvfb.ts';
import { XInput } from './x-input.ts';

const ARTIFACTS = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', 'test-artifacts');

describe('HolovizOp window under Xvfb', () => {
  let xvfb: Xvfb;
  before(async () => {
    xvfb = await startXvfb();
    process.env.DISPLAY = xvfb.display;
  });
  after(async () => {
    await xvfb?.stop();
    delete process.env.DISPLAY;
  });

  it('opens a titled window that shows a frame, letterboxed; a PNG of it is kept', () => {
    const title = `holots window ${process.pid}`;
    const win = new GlfwWindowProvider({ title, width: 640, height: 480 });
    try {
      const names = execFileSync('xwininfo', ['-display', xvfb.display, '-root', '-tree'], { encoding: 'utf8' });
      assert.ok(names.includes(`"${title}"`), `no window titled '${title}' in:\n${names}`);
      // A 2:1 picture in a 4:3 window: bars fill the width, black bands above and below.
      const r = new Renderer(win.gl, 320, 160);
      r.setImage('video', renderTestPattern(TestPatternParams.parse({ width: 320, height: 160, pattern: 'bars' }), 0));
      r.render();
      win.present(r.framebuffer, r.width, r.height);
      // Read back what the X server shows where xwininfo says the window is.
      const info = execFileSync('xwininfo', ['-display', xvfb.display, '-name', title], { encoding: 'utf8' });
      const num = (label: string) => Number(new RegExp(`${label}:\\s+(-?\\d+)`).exec(info)?.[1]);
      assert.equal(num('Width'), 640);
      assert.equal(num('Height'), 480);
      const x = new XInput(xvfb.display);
      let shot: { width: number; height: number; data: Uint8Array };
      try {
        shot = { width: 640, height: 480, data: x.capture(num('Absolute upper-left X'), num('Absolute upper-left Y'), 640, 480) };
      } finally {
        x.close();
      }
      COLOR_BARS.forEach((c, i) => {
        const got = px(shot.data, 640, i * 80 + 40, 240);
        assert.ok(near(got, [...c, 255], 2), `bar ${i} shows ${got}`);
      });
      assert.deepEqual(px(shot.data, 640, 320, 40), [0, 0, 0, 255], 'letterbox band');
      mkdirSync(ARTIFACTS, { recursive: true });
      const png = new PNG({ width: shot.width, height: shot.height });
      png.data = Buffer.from(shot.data);
      writeFileSync(join(ARTIFACTS, 'holoviz-window.png'), PNG.sync.write(png));
      r.destroy();
      assert.equal(win.shouldClose(), false);
      win.requestClose(); // glfwSetWindowShouldClose
      assert.equal(win.shouldClose(), true);
    } finally {
      win.destroy();
    }
  });

  it('keys reach key_events and Esc closes the window, which stops the app', async () => {
    const keys: KeyEvent[] = [];
    const KeySink = defineOperator({ name: 'KeySink', params: z.object({}), inputs: { in: port(KeyEventMessage) }, compute({ in: k }) { keys.push(k); } });
    const app = new Application('window_app', { logLevel: 'warn' });
    const src = app.add('src', TestPatternOp, { params: { width: 320, height: 240, pattern: 'moving_box' }, conditions: [{ type: 'periodic', period: '30Hz' }] });
    const viz = app.add('viz', HolovizOp, { params: { width: 320, height: 240, headless: false, window_title: 'holots esc test' } });
    app.addFlow(src, viz, [['out', 'receivers']]);
    app.addFlow(viz, app.add('keys', KeySink), [['key_events', 'in']], { capacity: 8 });
    const running = app.run();
    const x = new XInput(xvfb.display);
    try {
      await sleep(500);
      x.moveTo(100, 100);
      x.tap(0x61); // 'a'
      await sleep(300);
      x.tap(0xff1b); // Escape
      const outcome = await Promise.race([running.then(() => 'stopped'), sleep(5000).then(() => 'still running')]);
      assert.equal(outcome, 'stopped', 'Esc did not stop the app');
    } finally {
      x.close();
      app.stop();
      await running;
    }
    assert.ok(keys.some((k) => k.key === 65 && k.action === 'press'), `no 'A' press on key_events: ${JSON.stringify(keys)}`);
  });
});
