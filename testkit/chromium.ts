import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type BrowserServer, type Page } from 'playwright-core';

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

function chromiumMissing(err?: unknown): Error {
  const why = err ? `: ${(err as Error).message}` : '';
  return new Error(`cannot start Chromium at ${CHROMIUM} (apt package 'chromium'; bin/setup-debian.sh installs it)${why}`);
}

/**
 * The one Chromium launcher of tests and benchmarks: a fresh profile each time, removed on close.
 * `extraArgs` are added to CHROMIUM_ARGS; `omitArgs` are taken out of them (e.g. without
 * `--use-fake-ui-for-media-stream` nobody answers the camera prompt, so the page is refused).
 */
export async function launchChromium(extraArgs: string[] = [], opts: { omitArgs?: string[] } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw chromiumMissing();
  const args = [...CHROMIUM_ARGS.filter((a) => !opts.omitArgs?.includes(a)), ...extraArgs];
  const profile = await mkdtemp(join(tmpdir(), 'holots-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw chromiumMissing(err);
  }
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Chromium as a process of its own that a test can kill without a goodbye (no DELETE, no DTLS close):
 * `chromium.connect(server.wsEndpoint())` drives it, `server.kill()` ends it.
 */
export async function launchKillableChromium(extraArgs: string[] = []): Promise<BrowserServer> {
  if (!existsSync(CHROMIUM)) throw chromiumMissing();
  try {
    return await chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
  } catch (err) {
    throw chromiumMissing(err);
  }
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

/** Records the configuration of every RTCPeerConnection the page creates, as the browser itself reports it. */
export async function recordPeerConfigurations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const seen: RTCConfiguration[] = [];
    (window as unknown as { peerConfigurations: RTCConfiguration[] }).peerConfigurations = seen;
    window.RTCPeerConnection = class extends Native {
      constructor(configuration?: RTCConfiguration) {
        super(configuration);
        seen.push(this.getConfiguration());
      }
    } as typeof RTCPeerConnection;
  });
}

/** What recordPeerConfigurations saw, in the order the page made its peer connections. */
export function peerConfigurations(page: Page): Promise<RTCConfiguration[]> {
  return page.evaluate(() => (window as unknown as { peerConfigurations: RTCConfiguration[] }).peerConfigurations);
}
