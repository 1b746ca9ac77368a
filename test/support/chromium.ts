import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Headless Chromium as the tests need it: fake 30 fps camera, no prompts, loopback ICE, no network chatter. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream=fps=30', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile each time, removed on close. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: sudo apt-get install chromium (bin/setup-debian.sh does)`);
  const profile = await mkdtemp(join(tmpdir(), 'holots-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Waits for the page's `body[data-state]` (idle | connecting | streaming | error). */
export async function waitPageState(page: Page, state: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout });
}

/** Opens the app page, picks resolution and codec (seed ids), presses Start and waits for streaming. */
export async function startStreaming(page: Page, url: string, resolution: string, codec: string): Promise<void> {
  if (page.url() !== url) await page.goto(url);
  await waitPageState(page, 'idle');
  await page.selectOption('#video-resolution', resolution);
  await page.selectOption('#video-codec', codec);
  await page.click('#start');
  await waitPageState(page, 'streaming');
}

/** Polls `probe` until it returns something truthy; fails naming `what` after the timeout. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
