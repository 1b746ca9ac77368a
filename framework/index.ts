export * from './message-type.ts';
export * from './port.ts';
export * from './operator.ts';
export * from './metadata.ts';
export * from './queue.ts';
export * from './conditions.ts';
export * from './duration.ts';
export * from './logger.ts';
