#!/usr/bin/env node
// Registers tsx so holots (and the operators users write in TypeScript) load without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
