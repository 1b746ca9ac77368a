// A worker thread's entry: registers tsx (as bin/holots.js does) so the framework and users' .ts
// operators load in the thread without a build step, then runs the thread's message loop.
import { register } from 'tsx/esm/api';

register();
await import('./thread.ts');
