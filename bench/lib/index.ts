export * from './stats.ts';
export * from './table.ts';
export * from './machine.ts';
export * from './results.ts';
export * from './timecode.ts';
export * from './proc.ts';
