/** A problem in an app YAML file: names the file, the line when known, and (in the message) the operator and field. */
export class AppFileError extends Error {
  constructor(readonly file: string, readonly line: number | null, readonly detail: string) {
    super(`${file}${line ? `:${line}` : ''}: ${detail}`);
    this.name = 'AppFileError';
  }
}
