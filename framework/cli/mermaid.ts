import type { Application } from '../application.ts';

/** The graph as a mermaid flowchart: one node per operator (name and type), one edge per flow. */
export function toMermaid(app: Application): string {
  const out = ['flowchart LR'];
  for (const name of app.operatorNames()) {
    out.push(`    ${name}["${name}<br/>${app.operator(name).type}"]`);
  }
  for (const f of app.flows()) {
    const label = f.fromPort === f.toPort ? f.fromPort : `${f.fromPort} → ${f.toPort}`;
    out.push(`    ${f.from} -->|${label}| ${f.to}`);
  }
  return out.join('\n');
}
