import { isOperatorDefinition, type AnyOperatorDefinition } from './operator.ts';

/** Imports one operator's definition when it is first needed (its module and its dependencies with it). */
export type OperatorLoader = () => Promise<AnyOperatorDefinition>;

/**
 * Operator types by name, as YAML refers to them (`type: PingTxOp`). A type is registered either as its
 * definition or as a name and a loader: a process then imports only the operators its app names, so a
 * command that needs none (`--help`, a usage error, an app of small operators) never pays for the others.
 */
export class OperatorRegistry {
  private readonly defs = new Map<string, AnyOperatorDefinition>();
  private readonly loaders = new Map<string, OperatorLoader>();
  private readonly loading = new Map<string, Promise<AnyOperatorDefinition>>();

  register(...defs: AnyOperatorDefinition[]): this {
    for (const def of defs) {
      if (!isOperatorDefinition(def)) throw new Error(`register: not an operator definition (use defineOperator)`);
      const existing = this.defs.get(def.name);
      if ((existing && existing !== def) || this.loaders.has(def.name)) throw new Error(`operator type '${def.name}' is registered twice`);
      this.defs.set(def.name, def);
    }
    return this;
  }

  /** Registers `name` now and imports its definition only when an app or a command asks for it. */
  registerLazy(name: string, load: OperatorLoader): this {
    if (this.has(name)) throw new Error(`operator type '${name}' is registered twice`);
    this.loaders.set(name, load);
    return this;
  }

  has(name: string): boolean {
    return this.defs.has(name) || this.loaders.has(name);
  }

  /** The definition of `name`, imported first if it was registered lazily; undefined if `name` is unknown. */
  async resolve(name: string): Promise<AnyOperatorDefinition | undefined> {
    const ready = this.defs.get(name);
    if (ready) return ready;
    const load = this.loaders.get(name);
    if (!load) return undefined;
    let pending = this.loading.get(name);
    if (!pending) {
      pending = load().then((def) => {
        if (!isOperatorDefinition(def)) throw new Error(`the loader of operator type '${name}' gave no operator definition`);
        if (def.name !== name) throw new Error(`the loader of operator type '${name}' gave ${def.name}`);
        this.defs.set(name, def);
        return def;
      });
      this.loading.set(name, pending);
    }
    return pending;
  }

  /** Every definition, by name, importing the lazy ones (for listings and schemas that need them all). */
  async loadAll(): Promise<AnyOperatorDefinition[]> {
    return Promise.all(this.names().map(async (n) => (await this.resolve(n))!));
  }

  /** The definition of `name` if it is loaded; a lazily registered one must be loaded first (`resolve`). */
  get(name: string): AnyOperatorDefinition | undefined {
    const def = this.defs.get(name);
    if (!def && this.loaders.has(name)) throw new Error(`operator type '${name}' is not loaded yet: use await registry.resolve('${name}')`);
    return def;
  }

  names(): string[] {
    return [...new Set([...this.defs.keys(), ...this.loaders.keys()])].sort();
  }

  /** Every definition; with lazily registered types, use `loadAll()` (this throws if one is not loaded yet). */
  list(): AnyOperatorDefinition[] {
    return this.names().map((n) => this.get(n)!);
  }
}
