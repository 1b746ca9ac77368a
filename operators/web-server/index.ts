export { WebServerOp } from './web-server-op.ts';
export { WebServerParams } from './params.ts';
