// A session worker's entry: registers tsx (as bin/holots.js and the framework's pool threads do) so the
// operator's .ts modules load without a build step, then runs the worker's message loop.
import { register } from 'tsx/esm/api';

register();
await import('./session-thread.ts');
