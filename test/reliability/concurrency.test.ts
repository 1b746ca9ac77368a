import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchChromium, startStreaming, waitPageState, type Browser } from '../../testkit/chromium.ts';
import { waitFor } from '../../testkit/wait.ts';
import { activeResources, resourcesBeyond } from './helpers.ts';
import { sessions, settledRssMiB, startApp, type RunningApp } from '../../testkit/seed-graph.ts';

/**
 * Four Chromium publishers at once into one app graph, then 20 Start/Stop cycles on the real page; every
 * session must deliver pictures to the end of the graph, and afterwards the process must hold the same
 * handles as before and about the same memory. The baseline is taken after one warm-up session (code
 * loaded, JIT warm, decoder libraries mapped) with no browser connected.
 */
const CYCLES = 20;
const RSS_SLACK = 0.10; // RSS may end at most 10 % above the baseline

let h: RunningApp;
let baseline: string[];
let baselineRss: number;

const newSession = (known: Set<string>) => [...h.frames.perSession.keys()].find((id) => !known.has(id));

async function stop(page: Page): Promise<void> {
  await page.click('#stop');
  await waitPageState(page, 'idle');
}

before(async () => {
  h = await startApp({}, { max_sessions: 4 });
  const warm = await launchChromium();
  try {
    const page = await warm.context.newPage();
    await startStreaming(page, `${h.base}/`, '320x240', 'VP8/90000');
    await waitFor('warm-up pictures', () => h.frames.total() >= 15);
    await stop(page);
  } finally {
    await warm.close();
  }
  await waitFor('no session after warm-up', async () => (await sessions(h.base)).length === 0);
  await new Promise((r) => setTimeout(r, 500));
  baseline = activeResources();
  baselineRss = await settledRssMiB();
});

after(async () => { await h?.stop(); });

test(`4 publishers at once all show video; then ${CYCLES} Start/Stop cycles each show video; handles and RSS return to the baseline`, { timeout: 150_000 }, async (t) => {
  let browser: Browser | undefined = await launchChromium();
  try {
    const pages = await Promise.all([0, 1, 2, 3].map(() => browser!.context.newPage()));
    const known = new Set(h.frames.perSession.keys());
    await Promise.all(pages.map((p) => startStreaming(p, `${h.base}/`, '320x240', 'VP8/90000')));
    const all = await waitFor('4 sessions decoding', async () => {
      const s = await sessions(h.base);
      return s.length === 4 && s.every((x) => x.framesDecoded >= 15) && s;
    }, 30_000);
    for (const s of all) {
      assert.equal(s.width, 320, `session ${s.id}: ${s.width}x${s.height}`);
      assert.ok((h.frames.perSession.get(s.id) ?? 0) >= 10, `session ${s.id}: only ${h.frames.perSession.get(s.id) ?? 0} pictures reached the end of the graph`);
    }
    assert.equal(all.filter((s) => !known.has(s.id)).length, 4);
    const peak = process.memoryUsage().rss / 2 ** 20;
    await Promise.all(pages.map(stop));
    await Promise.all(pages.slice(1).map((p) => p.close()));

    const page = pages[0];
    const cycleMs: number[] = [];
    for (let i = 0; i < CYCLES; i++) {
      const t0 = performance.now();
      const seen = new Set(h.frames.perSession.keys());
      await page.click('#start');
      await waitPageState(page, 'streaming');
      const id = await waitFor(`cycle ${i + 1}: pictures from a new session`, () => {
        const id = newSession(seen);
        return id && (h.frames.perSession.get(id) ?? 0) >= 5 ? id : undefined;
      }, 15_000, 25);
      await stop(page);
      await waitFor(`cycle ${i + 1}: session ${id} to end`, async () => !(await sessions(h.base)).some((s) => s.id === id), 10_000);
      cycleMs.push(performance.now() - t0);
    }
    await browser.close();
    browser = undefined;

    await waitFor('resources back to baseline', () => resourcesBeyond(baseline).length === 0, 10_000).catch(() => undefined);
    const rss = await settledRssMiB();
    t.diagnostic(`cycles ${Math.round(Math.min(...cycleMs))}-${Math.round(Math.max(...cycleMs))} ms; RSS baseline ${baselineRss.toFixed(1)} MiB, with 4 sessions ${peak.toFixed(1)} MiB, after ${CYCLES} cycles ${rss.toFixed(1)} MiB (${(((rss - baselineRss) / baselineRss) * 100).toFixed(1)} %); handles ${JSON.stringify(baseline)}`);
    assert.deepEqual(resourcesBeyond(baseline), [], `handles left behind (baseline ${JSON.stringify(baseline)})`);
    assert.ok(rss <= baselineRss * (1 + RSS_SLACK), `RSS ${rss.toFixed(1)} MiB did not return to within ${RSS_SLACK * 100} % of the baseline ${baselineRss.toFixed(1)} MiB`);
  } finally {
    await browser?.close();
  }
});
