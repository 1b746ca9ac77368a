import type { Application } from '../application.ts';
import { fragmentOf, type FragmentMap } from '../fragments/fragment-map.ts';

/** A subgraph to draw as a box: its qualified name and what it was made from. */
export interface MermaidGroup { name: string; type: string }

/**
 * The graph as a mermaid flowchart: one node per operator (name and type), one edge per flow, and a
 * box (mermaid `subgraph`) per subgraph holding its operators, nested as the subgraphs are. With
 * fragments, each fragment is a box around its operators and a flow between fragments is marked "NATS".
 */
export function toMermaid(app: Application, groups: MermaidGroup[] = [], fragments?: FragmentMap): string {
  const out = ['flowchart LR'];
  // Mermaid ids take no dots; `__` keeps qualified names apart from plain ones.
  const id = (name: string) => name.replaceAll('.', '__');
  const parentOf = (name: string) => {
    const dot = name.lastIndexOf('.');
    return dot < 0 ? '' : name.slice(0, dot);
  };
  const draw = (group: string, indent: string) => {
    for (const g of groups.filter((x) => parentOf(x.name) === group)) {
      out.push(`${indent}subgraph ${id(g.name)}["${g.name.slice(g.name.lastIndexOf('.') + 1)}<br/>${g.type}"]`);
      draw(g.name, indent + '    ');
      out.push(`${indent}end`);
    }
    for (const name of app.operatorNames().filter((n) => parentOf(n) === group)) {
      out.push(`${indent}${id(name)}["${name.slice(name.lastIndexOf('.') + 1)}<br/>${app.operator(name).type}"]`);
    }
  };
  if (fragments) {
    for (const [fragment, ops] of Object.entries(fragments)) {
      out.push(`    subgraph fragment_${fragment}["fragment ${fragment}"]`);
      for (const name of ops) out.push(`        ${id(name)}["${name}<br/>${app.operator(name).type}"]`);
      out.push('    end');
    }
  } else {
    draw('', '    ');
  }
  for (const f of app.flows()) {
    const label = f.fromPort === f.toPort ? f.fromPort : `${f.fromPort} → ${f.toPort}`;
    const crosses = fragments !== undefined && fragmentOf(fragments, f.from) !== fragmentOf(fragments, f.to);
    out.push(crosses ? `    ${id(f.from)} ==>|"${label} (NATS)"| ${id(f.to)}` : `    ${id(f.from)} -->|${label}| ${id(f.to)}`);
  }
  return out.join('\n');
}
