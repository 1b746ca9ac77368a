export * from './video-frame.ts';
export * from './signaling.ts';
export * from './geometry.ts';
