/**
 * apps/webrtc_holoviz_server as a user runs it (`holots run`, HolovizOp headless through EGL, no X), watched
 * in Chromium on the viewer page: what HolovizOp drew (the circle, the box, the text) is in the picture the
 * page shows, and the page's controls change it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { runHolots } from '../../testkit/app-process.ts';
import { launchChromium, waitPageState } from '../../testkit/chromium.ts';
import { waitFor } from '../../testkit/wait.ts';
import { viewerState } from './helpers.ts';

interface Counts { red: number; green: number; white: number }

/** Coloured pixels per region of the presented picture: left half (box), right half (circle), bottom (text). */
function regions(page: Page): Promise<{ left: Counts; right: Counts; bottom: Counts }> {
  return page.evaluate(`(() => {
    const v = document.getElementById('remote');
    const c = document.createElement('canvas');
    c.width = 320; c.height = 180;
    const g = c.getContext('2d');
    g.drawImage(v, 0, 0, 320, 180);
    const px = g.getImageData(0, 0, 320, 180).data;
    const zero = () => ({ red: 0, green: 0, white: 0 });
    const out = { left: zero(), right: zero(), bottom: zero() };
    for (let y = 0; y < 180; y++) for (let x = 0; x < 320; x++) {
      const i = (y * 320 + x) * 4, r = px[i], gr = px[i + 1], b = px[i + 2];
      const region = y > 144 ? out.bottom : x < 160 ? out.left : out.right;
      if (r > 160 && gr < 90 && b < 90) region.red++;
      if (gr > 160 && r < 90 && b < 90) region.green++;
      if (r > 180 && gr > 180 && b > 180) region.white++;
    }
    return out;
  })()`);
}

test('headless webrtc_holoviz_server: the page shows what HolovizOp drew and changes it', async () => {
  const app = runHolots(['run', 'apps/webrtc_holoviz_server/app.yaml', '--host', '127.0.0.1', '--port', '0']);
  const browser = await launchChromium(['--disable-features=WebRtcHideLocalIpsWithMdns']);
  try {
    const [, port] = await app.waitForOutput(/holots: open https?:\/\/[^\s/]+:(\d+)\//, 60_000);
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${port}/viewer.html?scene`);
    await waitPageState(page, 'idle');
    await page.click('#start');
    await waitFor('frames in the page', async () => (await viewerState(page)).frames > 10, 60_000);
    const red = await waitFor('the red box and circle', async () => { const r = await regions(page); return r.left.red > 100 && r.right.red > 100 ? r : null; }, 30_000);
    assert.ok(red.bottom.white > 30, `no text in the picture: ${JSON.stringify(red)}`);

    await page.selectOption('#scene select[name=color]', 'green');
    await waitFor('the drawing to turn green', async () => { const r = await regions(page); return r.left.green > 100 && r.right.green > 100 && r.left.red < 20; }, 30_000);
    await page.uncheck('#scene input[name=circle]');
    await waitFor('the circle to go', async () => { const r = await regions(page); return r.right.green < 10 && r.left.green > 100; }, 30_000);
    const error = (await viewerState(page)).error;
    assert.equal(error, null);
  } finally {
    await browser.close();
    assert.equal(await app.stop(), 0, app.stderr);
  }
});
