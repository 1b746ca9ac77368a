import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Xvfb { display: string; proc: ChildProcess; stop(): Promise<void> }

/** Starts `Xvfb :N -screen 0 1280x720x24` on the first free display number and waits for its socket. */
export async function startXvfb(): Promise<Xvfb> {
  if (!existsSync('/usr/bin/Xvfb')) throw new Error('Xvfb is not installed: sudo apt-get install xvfb');
  for (let n = 90 + (process.pid % 50); n < 400; n++) {
    if (existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`)) continue;
    const proc = spawn('Xvfb', [`:${n}`, '-screen', '0', '1280x720x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    let exited = false;
    proc.on('exit', () => { exited = true; });
    for (let i = 0; i < 100 && !exited; i++) {
      if (existsSync(`/tmp/.X11-unix/X${n}`)) {
        const display = `:${n}`;
        return {
          display, proc,
          async stop() {
            if (exited) return;
            const gone = new Promise((r) => proc.once('exit', r));
            proc.kill('SIGTERM');
            await Promise.race([gone, sleep(3000)]);
            if (!exited) proc.kill('SIGKILL');
          },
        };
      }
      await sleep(50);
    }
    if (!exited) proc.kill('SIGKILL');
  }
  throw new Error('could not start Xvfb on any display number');
}
