import type { z } from 'zod';

/** One zod issue as a path of plain keys and a message a person can act on. */
export interface FieldProblem {
  path: (string | number)[];
  message: string;
}

/**
 * The first problem zod found, located at the field itself: zod reports an unknown key on its parent
 * object, so the key is appended to the path; `known` lists what the object does take.
 */
export function firstProblem(error: z.ZodError, unknownKey: (path: (string | number)[]) => string = () => 'unknown field'): FieldProblem {
  const issue = error.issues[0];
  const path = plainPath(issue.path);
  if (issue.code === 'unrecognized_keys') return { path: [...path, issue.keys[0]], message: unknownKey(path) };
  return { path, message: issue.message };
}

/** Every problem zod found, each as `field.path: message`, joined by `; `. */
export function allProblems(error: z.ZodError): string {
  return error.issues.map((i) => `${formatPath(plainPath(i.path)) || '(root)'}: ${i.message}`).join('; ');
}

function plainPath(p: readonly PropertyKey[]): (string | number)[] {
  return p.map((k) => (typeof k === 'symbol' ? String(k) : k));
}

/** `operators.tx.params[0].name` style: dots between keys, brackets around indexes. */
export function formatPath(p: readonly (string | number)[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}
