import { GraphError } from './errors.ts';

interface GraphNode {
  readonly name: string;
  readonly downstream: Set<GraphNode>;
  readonly upstream: Set<GraphNode>;
}

/** Kahn's algorithm, stable in insertion order; a cycle is a graph error naming its operators. */
export function topologicalOrder<N extends GraphNode>(nodes: N[]): N[] {
  const indegree = new Map<GraphNode, number>(nodes.map((n) => [n, n.upstream.size]));
  const ready = nodes.filter((n) => n.upstream.size === 0);
  const order: N[] = [];
  while (ready.length) {
    const n = ready.shift()!;
    order.push(n);
    for (const d of n.downstream) {
      const left = indegree.get(d)! - 1;
      indegree.set(d, left);
      if (left === 0) ready.push(d as N);
    }
  }
  if (order.length !== nodes.length) {
    const cyclic = nodes.filter((n) => !order.includes(n)).map((n) => n.name);
    throw new GraphError(`the graph has a cycle through: ${cyclic.join(', ')}`, ['flows']);
  }
  return order;
}
