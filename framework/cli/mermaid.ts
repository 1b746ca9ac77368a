import type { Application } from '../application.ts';

/** A subgraph to draw as a box: its qualified name and what it was made from. */
export interface MermaidGroup { name: string; type: string }

/**
 * The graph as a mermaid flowchart: one node per operator (name and type), one edge per flow, and a
 * box (mermaid `subgraph`) per subgraph holding its operators, nested as the subgraphs are.
 */
export function toMermaid(app: Application, groups: MermaidGroup[] = []): string {
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
  draw('', '    ');
  for (const f of app.flows()) {
    const label = f.fromPort === f.toPort ? f.fromPort : `${f.fromPort} → ${f.toPort}`;
    out.push(`    ${id(f.from)} -->|${label}| ${id(f.to)}`);
  }
  return out.join('\n');
}
