import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { loadApp } from '../../framework/index.ts';
import { builtinRegistry } from '../../operators/index.ts';
import { buildWebrtcVideoClient } from '../../apps/webrtc_video_client/graph.ts';
import { ROOT } from '../../testkit/app-process.ts';

const yamlPath = `${ROOT}apps/webrtc_video_client/app.yaml`;

test('the TypeScript entry builds the same graph as app.yaml: operators, params, flows, with and without --record and --view', async () => {
  const describe = (app: ReturnType<typeof buildWebrtcVideoClient>) => app.operatorNames().map((n) => { const o = app.operator(n); return { n, type: o.type, params: JSON.parse(JSON.stringify(o.params)) as unknown }; }); // an undefined param is an absent one
  const { spec } = await loadApp(yamlPath, { registry: builtinRegistry(), logLevel: 'error' });
  for (const record of [undefined, '/tmp/holots-recordings']) {
    for (const view of [undefined, true]) {
      // Each option's own target, as `holots run app.yaml --record DIR --view` sets it.
      const set = [...(record ? [`${spec.options!.record.set}=${record}`] : []), ...(view ? [`${spec.options!.view.set}=true`] : [])];
      const { app: fromYaml } = await loadApp(yamlPath, { registry: builtinRegistry(), set: ['web_server.host=127.0.0.1', 'web_server.port=9999', ...set], logLevel: 'error' });
      const fromTs = buildWebrtcVideoClient({ host: '127.0.0.1', port: 9999, record, view, logLevel: 'error' });
      assert.deepEqual(describe(fromTs), describe(fromYaml), `record ${record}, view ${view}`);
      assert.deepEqual(fromTs.flows(), fromYaml.flows());
      assert.equal((fromYaml.operator('holoviz').params as { enable_render_buffer_output: boolean }).enable_render_buffer_output, view === true, 'only --view makes HolovizOp hand its picture back');
    }
  }
});

test('holots graph prints the seed diagram\'s server side: WebServerOp and WebRTCClientOp into HolovizOp', () => {
  const r = spawnSync(process.execPath, ['bin/holots.js', 'graph', yamlPath], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // The app names its fragments, so the flows between them are drawn as the NATS edges they become when split.
  assert.match(r.stdout, /web_server ==>\|"signaling \(NATS\)"\| webrtc_client/);
  assert.match(r.stdout, /webrtc_client ==>\|"output → receivers \(NATS\)"\| holoviz/);
});

test('the app takes the seed\'s command line: --cert-file --key-file --host --port --verbose/-v', async () => {
  const { spec } = await loadApp(yamlPath, { registry: builtinRegistry(), logLevel: 'error' });
  assert.deepEqual(Object.keys(spec.options ?? {}).sort(), ['cert-file', 'host', 'key-file', 'port', 'record', 'verbose', 'view']);
  assert.equal(spec.options!.record.set, 'recorder.directory');
  assert.equal(spec.options!.view.set, 'holoviz.enable_render_buffer_output');
  assert.equal(spec.options!.view.type, 'boolean');
  assert.equal(spec.options!.verbose.alias, 'v');
  // A bad value is a usage error (exit 2) naming the option, before anything listens.
  const r = spawnSync(process.execPath, ['bin/holots.js', 'run', yamlPath, '--port', 'eighty'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--port must be a number/);
  const ts = spawnSync(process.execPath, ['--import', 'tsx', 'apps/webrtc_video_client/main.ts', '--help'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(ts.status, 0, ts.stderr);
  for (const flag of ['--cert-file', '--key-file', '--host', '--port', '--record', '--view', '--verbose']) assert.ok(ts.stdout.includes(flag), flag);
});

