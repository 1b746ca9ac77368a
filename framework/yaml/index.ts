export * from './app-file.ts';
export * from './app-file-error.ts';
export * from './load-app.ts';
export * from './json-schema.ts';
