export * from './video-frame.ts';
export * from './encoded-frame.ts';
export * from './signaling.ts';
export * from './geometry.ts';
export * from './trickle-fragment.ts';
export * from './color.ts';
export * from './control.ts';
