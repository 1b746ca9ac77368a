import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PAGE_DIR } from '../../testkit/app-process.ts';

/** A copy of the app's page in a temp folder, with a secret file beside (outside) it for traversal checks. */
export async function pageWithSecretBeside(): Promise<{ root: string; secret: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'holots-reliability-'));
  const root = join(dir, 'site');
  await cp(PAGE_DIR, root, { recursive: true });
  const secret = `SECRET-${Math.random().toString(36).slice(2)}`;
  await writeFile(join(dir, 'secret.txt'), secret);
  await writeFile(join(root, '.env'), secret);
  return { root, secret, dispose: () => rm(dir, { recursive: true, force: true }) };
}

// Immediates come and go with the event loop's own work; the TTY belongs to the runner.
export const activeResources = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'Immediate').sort();

/** Resources held now beyond a baseline, as 'UDPWRAP x2' entries (empty when none). */
export function resourcesBeyond(baseline: string[]): string[] {
  const count = (list: string[]) => list.reduce((m, r) => m.set(r, (m.get(r) ?? 0) + 1), new Map<string, number>());
  const base = count(baseline);
  return [...count(activeResources())].filter(([r, n]) => n > (base.get(r) ?? 0)).map(([r, n]) => `${r} x${n - (base.get(r) ?? 0)}`);
}

