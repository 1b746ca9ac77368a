import { z } from 'zod';
import type { ConditionSpec } from './conditions.ts';
import type { Metadata } from './metadata.ts';
import type { MessageType } from './message-type.ts';
import { defineOperator, type OperatorContext, type OperatorDefinition } from './operator.ts';
import { port, type InputPortOptions, type OutputPortOptions, type PortMap } from './port.ts';

/** What `setup(spec)` declares, in Holoscan's words. */
export class OperatorSpec {
  readonly inputs: PortMap = {};
  readonly outputs: PortMap = {};
  readonly conditions: ConditionSpec[] = [];
  input<T>(name: string, type: MessageType<T>, options: InputPortOptions = {}): this {
    this.inputs[name] = port(type, options);
    return this;
  }
  output<T>(name: string, type: MessageType<T>, options: OutputPortOptions = {}): this {
    this.outputs[name] = port(type, options);
    return this;
  }
  condition(c: ConditionSpec): this {
    this.conditions.push(c);
    return this;
  }
}

export interface InputContext {
  /** The message on `name` (an array for a multi-receiver; undefined when an ungated input is empty). */
  receive<T = unknown>(name: string): T;
}
export interface OutputContext {
  emit(value: unknown, name: string, meta?: Metadata): void;
}

/**
 * The class form, for users coming from Holoscan: `setup(spec)` declares ports, `compute(input,
 * output, context)` does the work. Parameters come from a static zod schema as `this.params`.
 */
export abstract class Operator<P = Record<string, unknown>> {
  static readonly params: z.ZodType = z.object({}).strict();
  static readonly description?: string;
  params!: P;
  abstract setup(spec: OperatorSpec): void;
  initialize?(context: OperatorContext<P>): void | Promise<void>;
  start?(context: OperatorContext<P>): void | Promise<void>;
  abstract compute(input: InputContext, output: OutputContext, context: OperatorContext<P>): void | Promise<void>;
  stop?(context: OperatorContext<P>): void | Promise<void>;
}

type OperatorClass = (new () => Operator<any>) & { params: z.ZodType; description?: string; name: string };

/** Turns an Operator subclass into a definition the graph, YAML and registry understand. */
export function defineOperatorClass(Cls: OperatorClass): OperatorDefinition<z.ZodType, PortMap, PortMap, Operator<any>> {
  const spec = new OperatorSpec();
  new Cls().setup(spec);
  return defineOperator({
    name: Cls.name,
    description: Cls.description,
    params: Cls.params,
    inputs: spec.inputs,
    outputs: spec.outputs,
    conditions: spec.conditions,
    async initialize(ctx) {
      const op = new Cls();
      op.params = ctx.params;
      await op.initialize?.(ctx);
      return op;
    },
    start: (ctx) => ctx.state.start?.(ctx),
    compute(inputs, emit, ctx) {
      const values = inputs as Record<string, unknown>;
      const emitters = emit as Record<string, (v: unknown, m?: Metadata) => void>;
      return ctx.state.compute(
        { receive: <T>(name: string) => { if (!(name in values)) throw new Error(`no input port '${name}'`); return values[name] as T; } },
        { emit: (value, name, meta) => { const e = emitters[name]; if (!e) throw new Error(`no output port '${name}'`); e(value, meta); } },
        ctx,
      );
    },
    stop: (ctx) => ctx.state.stop?.(ctx),
  });
}

export function isOperatorClass(v: unknown): v is OperatorClass {
  return typeof v === 'function' && v.prototype instanceof Operator;
}
