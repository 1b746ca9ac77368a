import { pathToFileURL } from 'node:url';
import type { ConditionSpec } from '../conditions.ts';
import { GraphError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { AnyOperatorDefinition } from '../operator.ts';
import { PooledOperatorNode } from './pooled-node.ts';
import { PoolOptions, WorkerPool } from './pool.ts';
import type { ModuleRef } from './protocol.ts';

/** How `app.add` puts an operator on a pool. */
export interface PoolPlacement {
  /** The pool (from `addPool` / YAML `pools:`) whose threads run this operator's computes. */
  pool?: string;
  /**
   * How many of the pool's threads host an instance (default: all). Each instance computes one message
   * at a time with its own state, so `1` keeps a stateful operator's state in one place.
   */
  instances?: number;
  /**
   * Where a worker finds the definition, when the definition has no `module`: a module URL (e.g.
   * `new URL('./blur.ts', import.meta.url)`), or a URL plus the export name.
   */
  module?: string | URL | { url: string | URL; exportName?: string };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The application's pools: defined before operators are placed on them; ended when a run ends. */
export class Pools {
  private readonly pools = new Map<string, WorkerPool>();
  /** Instances placed per pool so far, so single-instance operators spread over the threads. */
  private readonly placed = new Map<string, number>();

  define(name: string, options: PoolOptions): WorkerPool {
    if (!IDENTIFIER.test(name)) throw new GraphError(`pool name '${name}' must be an identifier (letters, digits, _)`, ['pools', name]);
    if (this.pools.has(name)) throw new GraphError(`pool '${name}' is defined twice`, ['pools', name]);
    const parsed = PoolOptions.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GraphError(`pool '${name}': ${issue.path.join('.') || '(options)'}: ${issue.message}`, ['pools', name, ...issue.path.map(String)]);
    }
    const pool = new WorkerPool(name, parsed.data);
    this.pools.set(name, pool);
    return pool;
  }

  get(name: string): WorkerPool | undefined { return this.pools.get(name); }
  names(): string[] { return [...this.pools.keys()]; }

  /** Threads started over all pools, ever (nothing starts before a run). */
  get startedThreads(): number {
    let n = 0;
    for (const p of this.pools.values()) n += p.startedThreads;
    return n;
  }

  /**
   * The node of an operator placed on a pool. Everything that can be wrong is checked here, before
   * anything starts: the pool exists, the operator may leave the main thread, its module is known.
   */
  node(name: string, def: AnyOperatorDefinition, params: unknown, conditions: readonly ConditionSpec[], log: Logger, placement: PoolPlacement & { pool: string }): PooledOperatorNode {
    const where = ['operators', name, 'pool'];
    const pool = this.pools.get(placement.pool);
    if (!pool) {
      const known = this.names();
      throw new GraphError(`operator '${name}' (${def.name}): no pool named '${placement.pool}' (${known.length ? `pools: ${known.join(', ')}` : 'no pools are defined; add one with pools: or app.addPool'})`, where);
    }
    if (def.mainThreadOnly) throw new GraphError(`operator '${name}' (${def.name}) must run on the main thread and cannot use pool '${placement.pool}': ${def.mainThreadOnly}`, where);
    if (def.afterStart) {
      throw new GraphError(`operator '${name}' (${def.name}) cannot use pool '${placement.pool}': an RxJS pipe operator is driven by hooks a worker thread does not host (its pipeline subscribes after start and flushes at end of stream); it runs on the main thread`, where);
    }
    const module = moduleRef(placement.module, def);
    if (!module) {
      throw new GraphError(`operator '${name}' (${def.name}) cannot run on pool '${placement.pool}': a worker thread cannot find its module. ` +
        `Give its definition \`module: import.meta.url\`, pass \`module\` to app.add, or use a "./file.ts#Export" type in YAML`, where);
    }
    const instances = placement.instances ?? pool.threads;
    if (!Number.isInteger(instances) || instances < 1 || instances > pool.threads) {
      throw new GraphError(`operator '${name}' (${def.name}): instances must be an integer from 1 to ${pool.threads} (the threads of pool '${pool.name}'), got ${instances}`, ['operators', name, 'instances']);
    }
    const first = this.placed.get(pool.name) ?? 0;
    this.placed.set(pool.name, first + instances);
    const hosts = Array.from({ length: instances }, (_, i) => (first + i) % pool.threads);
    return new PooledOperatorNode(name, def, params, conditions, log, pool, hosts, module);
  }

  /** Ends every pool's threads (the run is over, whatever the reason). */
  async terminate(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.terminate()));
  }
}

function moduleRef(given: PoolPlacement['module'], def: AnyOperatorDefinition): ModuleRef | null {
  const url = (u: string | URL) => (u instanceof URL ? u.href : /^[a-z][a-z0-9+.-]*:/i.test(u) ? u : pathToFileURL(u).href);
  if (given !== undefined) return typeof given === 'object' && !(given instanceof URL) ? { url: url(given.url), ...(given.exportName ? { exportName: given.exportName } : {}) } : { url: url(given) };
  return def.module ? { url: url(def.module) } : null;
}
