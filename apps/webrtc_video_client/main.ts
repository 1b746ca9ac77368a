/**
 * The same graph as app.yaml, built in TypeScript, with the seed's command line:
 *   node --import tsx apps/webrtc_video_client/main.ts [--cert-file C --key-file K] [--host H] [--port P] [-v]
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { Application } from '../../framework/index.ts';
import { HolovizOp, WebRTCClientOp, WebServerOp } from '../../operators/index.ts';

const args = await yargs(hideBin(process.argv))
  .scriptName('webrtc_client')
  .option('cert-file', { type: 'string', describe: 'SSL certificate file (for HTTPS)' })
  .option('key-file', { type: 'string', describe: 'SSL key file (for HTTPS)' })
  .option('host', { type: 'string', default: '0.0.0.0', describe: 'Host for HTTP server' })
  .option('port', { type: 'number', default: 8080, describe: 'Port for HTTP server' })
  .option('verbose', { alias: 'v', type: 'boolean', default: false })
  .strict()
  .help()
  .parseAsync();

const app = new Application('webrtc_video_client', { logLevel: args.verbose ? 'debug' : 'info' });
const webServer = app.add('web_server', WebServerOp, {
  params: { host: args.host, port: args.port, cert_file: args['cert-file'], key_file: args['key-file'] },
});
const webrtcClient = app.add('webrtc_client', WebRTCClientOp, { params: { status_line: true } });
const holoviz = app.add('holoviz', HolovizOp, {
  params: { window_title: 'WebRTC Client', width: 1280, height: 720, headless: 'auto', tensors: [{ name: 'video', type: 'color' }] },
});
app.addFlow(webServer, webrtcClient, [['signaling', 'signaling']]);
app.addFlow(webrtcClient, holoviz, [['output', 'receivers']]);

try {
  await app.run({ handleSignals: true });
} catch (err) {
  console.error(`webrtc_client: ${(err as Error).message}`);
  process.exitCode = 1;
}
