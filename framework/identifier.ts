/**
 * Names of operators, ports, params and apps: letters, digits and `_`, not starting with a digit.
 * Every pattern that contains a name is built from this one source, so the rule lives here only.
 */
export const IDENTIFIER_SOURCE = '[A-Za-z_][A-Za-z0-9_]*';

/** A whole string that is one identifier. */
export const IDENTIFIER = new RegExp(`^${IDENTIFIER_SOURCE}$`);

export function isIdentifier(s: string): boolean {
  return IDENTIFIER.test(s);
}
