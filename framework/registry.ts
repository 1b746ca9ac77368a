import { isOperatorDefinition, type AnyOperatorDefinition } from './operator.ts';

/** Operator types by name, as YAML refers to them (`type: PingTxOp`). */
export class OperatorRegistry {
  private readonly defs = new Map<string, AnyOperatorDefinition>();

  register(...defs: AnyOperatorDefinition[]): this {
    for (const def of defs) {
      if (!isOperatorDefinition(def)) throw new Error(`register: not an operator definition (use defineOperator)`);
      const existing = this.defs.get(def.name);
      if (existing && existing !== def) throw new Error(`operator type '${def.name}' is registered twice`);
      this.defs.set(def.name, def);
    }
    return this;
  }

  get(name: string): AnyOperatorDefinition | undefined {
    return this.defs.get(name);
  }

  names(): string[] {
    return [...this.defs.keys()].sort();
  }

  list(): AnyOperatorDefinition[] {
    return this.names().map((n) => this.defs.get(n)!);
  }
}
