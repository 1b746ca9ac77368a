import type { Application } from '../application.ts';
import { fragmentOf, type FragmentMap } from '../fragments/fragment-map.ts';

/**
 * The graph as a mermaid flowchart: one node per operator (name and type), one edge per flow. With
 * fragments, each fragment is a subgraph and a flow that crosses between them is marked "NATS".
 */
export function toMermaid(app: Application, fragments?: FragmentMap): string {
  const out = ['flowchart LR'];
  const node = (name: string, indent: string) => `${indent}${name}["${name}<br/>${app.operator(name).type}"]`;
  if (fragments) {
    for (const [fragment, ops] of Object.entries(fragments)) {
      out.push(`    subgraph fragment_${fragment}["fragment ${fragment}"]`);
      for (const name of ops) out.push(node(name, '        '));
      out.push('    end');
    }
  } else {
    for (const name of app.operatorNames()) out.push(node(name, '    '));
  }
  for (const f of app.flows()) {
    const crosses = fragments !== undefined && fragmentOf(fragments, f.from) !== fragmentOf(fragments, f.to);
    const label = (f.fromPort === f.toPort ? f.fromPort : `${f.fromPort} → ${f.toPort}`) + (crosses ? ' (NATS)' : '');
    out.push(crosses ? `    ${f.from} ==>|"${label}"| ${f.to}` : `    ${f.from} -->|${label}| ${f.to}`);
  }
  return out.join('\n');
}
