export * from './stats.ts';
export * from './table.ts';
export * from './machine.ts';
export * from './results.ts';
export * from './proc.ts';
export * from './receiver-process.ts';
export * from './clip-senders.ts';
