export { WebServerOp } from './web-server-op.ts';
export { WebServerParams, DEFAULT_STATIC_DIR } from './params.ts';
