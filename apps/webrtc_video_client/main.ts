/**
 * The same graph as app.yaml, built in TypeScript, with the seed's command line:
 *   node --import tsx apps/webrtc_video_client/main.ts [--cert-file C --key-file K] [--host H] [--port P] [--record DIR] [--view] [-v]
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { buildWebrtcVideoClient } from './graph.ts';

const args = await yargs(hideBin(process.argv))
  .scriptName('webrtc_client')
  .option('cert-file', { type: 'string', describe: 'SSL certificate file (for HTTPS)' })
  .option('key-file', { type: 'string', describe: 'SSL key file (for HTTPS)' })
  .option('host', { type: 'string', default: '0.0.0.0', describe: 'Host for HTTP server' })
  .option('port', { type: 'number', default: 8080, describe: 'Port for HTTP server' })
  .option('record', { type: 'string', describe: "record each session's video to this directory as it arrived (no re-encoding)" })
  .option('view', { type: 'boolean', describe: 'send the rendered picture back to the page over WebRTC (WHEP); works headless' })
  .option('verbose', { alias: 'v', type: 'boolean', default: false })
  .strict()
  .help()
  .parseAsync();

const app = buildWebrtcVideoClient({
  host: args.host, port: args.port, certFile: args['cert-file'], keyFile: args['key-file'], record: args.record, view: args.view, logLevel: args.verbose ? 'debug' : 'info',
});
try {
  await app.run({ handleSignals: true });
} catch (err) {
  console.error(`webrtc_client: ${(err as Error).message}`);
  process.exitCode = 1;
}
