// A bare worker thread for bench/framework-threads.ts's ceiling row: registers tsx (as the framework's
// thread bootstrap does), then blurs a 720p luma plane in a loop with no framework around it, `warmup`
// times, then `frames` times once the main thread says go.
import { register } from 'tsx/esm/api';
import { parentPort, workerData } from 'node:worker_threads';

register();
const { blur5x5 } = await import('../test/framework/fixtures/workers/blur.ts');
const { width, height, luma, warmup, frames } = workerData;
for (let i = 0; i < warmup; i++) blur5x5(luma, width, height, width);
parentPort.postMessage('warm');
parentPort.once('message', () => {
  for (let i = 0; i < frames; i++) blur5x5(luma, width, height, width);
  parentPort.postMessage('done');
});
