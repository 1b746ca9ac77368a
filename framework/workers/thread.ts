/**
 * The worker-thread side of a pool: one instance per operator placed on this thread, each with its own
 * initialize/start/stop and its own state. The main-thread node schedules; this loop only runs what it
 * is asked and answers with what the operator emitted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../logger.ts';
import { EMPTY_METADATA, type Metadata } from '../metadata.ts';
import { isOperatorDefinition, type AnyOperatorDefinition, type OperatorContext } from '../operator.ts';
import { defineOperatorClass, isOperatorClass } from '../operator-class.ts';
import { decodeCrossing, encodeCrossing, transferList } from './crossing.ts';
import { toFailure, type Emitted, type FromThread, type ModuleRef, type ThreadData, type ToThread } from './protocol.ts';

const port = parentPort!;
const { pool, index } = workerData as ThreadData;

interface Instance {
  def: AnyOperatorDefinition;
  ctx: OperatorContext<unknown> & { state: unknown };
  emitters: Record<string, (value: unknown, meta?: Metadata) => void>;
  /** Emits of the compute (or start) running now; null outside them. */
  collecting: Emitted[] | null;
  transfer: Set<ArrayBuffer>;
  metadata: Metadata;
  abort: AbortController;
}

const instances = new Map<string, Instance>();

function post(msg: FromThread, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

async function loadDefinition(ref: ModuleRef, type: string): Promise<AnyOperatorDefinition> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(ref.url)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`cannot load module ${ref.url} in worker thread ${index} of pool '${pool}': ${(e as Error).message.split('\n')[0]}`);
  }
  const asDefinition = (v: unknown) => (isOperatorClass(v) ? defineOperatorClass(v) : v);
  if (ref.exportName !== undefined) {
    const def = asDefinition(mod[ref.exportName]);
    if (!isOperatorDefinition(def)) throw new Error(`module ${ref.url} has no operator export '${ref.exportName}'`);
    return def;
  }
  for (const v of Object.values(mod)) {
    if ((isOperatorDefinition(v) && v.name === type) || (isOperatorClass(v) && v.name === type)) return asDefinition(v) as AnyOperatorDefinition;
  }
  throw new Error(`module ${ref.url} exports no operator named '${type}' (its definition's module URL must name the file that exports it)`);
}

async function init(msg: Extract<ToThread, { t: 'init' }>): Promise<void> {
  const def = await loadDefinition(msg.module, msg.type);
  if (def.name !== msg.type) throw new Error(`module ${msg.module.url} export '${msg.module.exportName}' is ${def.name}, expected ${msg.type}`);
  const log = createLogger(msg.logLevel, msg.logScope);
  const abort = new AbortController();
  let state: unknown;
  const inst: Instance = {
    def,
    emitters: {},
    collecting: null,
    transfer: new Set(),
    metadata: EMPTY_METADATA,
    abort,
    ctx: {
      name: msg.op,
      params: msg.params,
      log,
      get metadata() { return inst.metadata; },
      get state() { return state; },
      set state(v: unknown) { state = v; },
      notify: () => post({ t: 'event', op: msg.op, kind: 'notify' }),
      disable: () => post({ t: 'event', op: msg.op, kind: 'disable' }),
      stopApp: (reason?: string) => post({ t: 'event', op: msg.op, kind: 'stopApp', reason }),
      fail: (error: unknown) => post({ t: 'event', op: msg.op, kind: 'fail', error: toFailure(error) }),
      signal: abort.signal,
      stopTimeoutMs: msg.stopTimeoutMs,
      isConnected: (port: string) => msg.connected.includes(port),
    },
  };
  for (const [name, spec] of Object.entries(def.outputs)) {
    inst.emitters[name] = (value, meta) => {
      if (inst.collecting) {
        inst.collecting.push({ port: name, value: encodeCrossing(spec.type, value, false, inst.transfer), ...(meta ? { meta } : {}) });
        return;
      }
      // Outside start/compute (a timer, a socket): sent on its own and delivered at once, with no input
      // metadata, as an out-of-band emit through the emitters start got is on the main thread.
      const transfer = new Set<ArrayBuffer>();
      const emitted: Emitted = { port: name, value: encodeCrossing(spec.type, value, false, transfer), ...(meta ? { meta } : {}) };
      post({ t: 'event', op: msg.op, kind: 'emit', emits: [emitted] }, transferList(transfer));
    };
  }
  instances.set(msg.op, inst);
  if (def.initialize) state = await def.initialize(inst.ctx);
}

/** Runs `body` with emits collected; answers with them (their buffers moved) or with the error. */
async function collect(id: number, inst: Instance, body: () => unknown): Promise<void> {
  inst.collecting = [];
  inst.transfer = new Set();
  try {
    await body();
    const emits = inst.collecting;
    inst.collecting = null;
    post({ t: 'reply', id, emits }, transferList(inst.transfer));
  } catch (e) {
    inst.collecting = null;
    post({ t: 'reply', id, error: toFailure(e) });
  }
}

function instance(op: string): Instance {
  const inst = instances.get(op);
  if (!inst) throw new Error(`operator '${op}' is not initialized on worker thread ${index} of pool '${pool}'`);
  return inst;
}

async function handle(msg: ToThread): Promise<void> {
  switch (msg.t) {
    case 'init':
      try {
        await init(msg);
        post({ t: 'reply', id: msg.id });
      } catch (e) {
        post({ t: 'reply', id: msg.id, error: toFailure(e) });
      }
      return;
    case 'start': {
      const inst = instance(msg.op);
      return collect(msg.id, inst, () => inst.def.start?.(inst.ctx, inst.emitters as never));
    }
    case 'compute': {
      const inst = instance(msg.op);
      return collect(msg.id, inst, () => {
        const inputs: Record<string, unknown> = {};
        for (const [name, c] of Object.entries(msg.inputs)) inputs[name] = decodeCrossing(inst.def.inputs[name].type, c, `input '${name}'`);
        inst.metadata = msg.meta;
        return inst.def.compute(inputs as never, inst.emitters as never, inst.ctx as never);
      });
    }
    case 'stop': {
      const inst = instances.get(msg.op);
      try {
        inst?.abort.abort();
        await inst?.def.stop?.(inst.ctx);
        post({ t: 'reply', id: msg.id });
      } catch (e) {
        post({ t: 'reply', id: msg.id, error: toFailure(e) });
      }
      return;
    }
  }
}

port.on('message', (msg: ToThread) => {
  handle(msg).catch((e: unknown) => post({ t: 'reply', id: msg.id, error: toFailure(e) }));
});
