export * from './message-type.ts';
export * from './port.ts';
export * from './operator.ts';
export * from './metadata.ts';
export * from './queue.ts';
export * from './conditions.ts';
export * from './duration.ts';
export * from './logger.ts';
export * from './errors.ts';
export * from './tracking.ts';
export * from './application.ts';
export type { Envelope, ConnectionOptions } from './connection.ts';
export * from './registry.ts';
export * from './yaml/index.ts';
export * from './operator-class.ts';
export * from './fragments/index.ts';
export * from './tap.ts';
export * from './pipe-operator.ts';
export * from './observable-source.ts';
export * from './identifier.ts';
export * from './path-param.ts';
export * from './zod-issue.ts';
export * from './terminal.ts';
// zod, re-exported: an operator's params need it, and `import { z } from 'holots'` works wherever holots is
// installed (a user's folder need not install zod as well) with the very zod holots validates with.
export { z } from 'zod';
