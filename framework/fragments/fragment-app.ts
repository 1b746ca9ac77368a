import { randomBytes } from 'node:crypto';
import { Application, type RunOptions } from '../application.ts';
import { GraphError } from '../errors.ts';
import { Any, type MessageType } from '../message-type.ts';
import { checkFragments, crossingFlows, flowKey, type FragmentMap } from './fragment-map.ts';
import { FragmentLink } from './fragment-link.ts';
import { FragmentSetupError, type NatsOptions } from './nats-connect.ts';
import { receiverRelay, senderRelay } from './relays.ts';

export interface FragmentOptions {
  fragments: FragmentMap;
  /** The fragments this process runs (one or several). */
  run: string[];
  nats: NatsOptions;
  /** This process's id among the copies of its fragments (default: the fragment names and 6 hex digits). */
  instance?: string;
}

export interface PreparedFragments {
  /** The part of the graph this process runs, with relays where flows cross. */
  app: Application;
  link: FragmentLink;
  close(): Promise<void>;
}

const INSTANCE = /^[A-Za-z0-9_-]+$/;

/** One relay per crossing flow, named after it (an output may feed several remote inputs, and back). */
function relayName(f: { from: string; fromPort: string; to: string; toPort: string }): string {
  return `nats__${f.from}_${f.fromPort}__${f.to}_${f.toPort}`.replaceAll('.', '_');
}

/**
 * Builds the part of `app` that `run` names and connects it to NATS: every operator of those fragments,
 * the flows between them as they are, and for each flow that crosses a sender relay (flow leaves) or a
 * receiver relay (flow arrives) in place of the operator at the far end. The flow keeps its capacity and
 * policy on each side. Throws GraphError for a wrong fragment map and FragmentSetupError when NATS is
 * unreachable or refuses the credentials.
 */
export async function prepareFragments(app: Application, o: FragmentOptions): Promise<PreparedFragments> {
  checkFragments(app, o.fragments);
  for (const f of o.run) if (!o.fragments[f]) throw new GraphError(`no fragment '${f}' in '${app.name}' (fragments: ${Object.keys(o.fragments).join(', ')})`, ['fragments']);
  const mine = new Set(o.run.flatMap((f) => o.fragments[f]));
  const flows = crossingFlows(app, o.fragments).filter((f) => mine.has(f.from) !== mine.has(f.to));
  const typeOf = (f: (typeof flows)[number]): MessageType<unknown> => {
    const out = app.operator(f.from).def.outputs[f.fromPort].type;
    return out === Any || out.name === 'Any' ? app.operator(f.to).def.inputs[f.toPort].type : out;
  };
  const instance = o.instance ?? `${o.run.join('-')}-${randomBytes(3).toString('hex')}`;
  if (!INSTANCE.test(instance)) throw new FragmentSetupError(`instance id '${instance}' may hold only letters, digits, '_' and '-' (it is part of NATS subjects)`);
  const incoming = flows.filter((f) => mine.has(f.to));
  const link = await FragmentLink.open({
    nats: o.nats,
    app: app.name,
    instance,
    fragments: o.run,
    receives: incoming.filter((f) => !typeOf(f).reply).map(flowKey),
    answers: incoming.filter((f) => typeOf(f).reply).map(flowKey),
    log: app.log.child(instance),
  });
  try {
    const part = new Application(app.name, { logger: app.log });
    for (const name of app.operatorNames()) {
      if (!mine.has(name)) continue;
      const { def, options } = app.operatorSpec(name);
      part.add(name, def, options);
    }
    for (const f of app.flows()) {
      const options = { capacity: f.capacity, policy: f.policy as never };
      if (mine.has(f.from) && mine.has(f.to)) part.connect(f.from, f.fromPort, f.to, f.toPort, options);
    }
    for (const f of flows) {
      const key = flowKey(f);
      if (mine.has(f.from)) {
        const relay = relayName(f);
        part.add(relay, senderRelay(link, key, typeOf(f)));
        part.connect(f.from, f.fromPort, relay, 'in', { capacity: f.capacity, policy: f.policy as never });
      } else {
        const relay = relayName(f);
        part.add(relay, receiverRelay(link, key, typeOf(f)));
        part.connect(relay, 'out', f.to, f.toPort, { capacity: f.capacity, policy: f.policy as never });
      }
    }
    return { app: part, link, close: () => link.close() };
  } catch (e) {
    await link.close();
    throw e;
  }
}

/** Runs the named fragments of `app` in this process until they end or are stopped (Ctrl-C). */
export async function runFragments(app: Application, o: FragmentOptions & RunOptions): Promise<Application> {
  const prepared = await prepareFragments(app, o);
  try {
    await prepared.app.run(o);
  } finally {
    await prepared.close();
  }
  return prepared.app;
}
