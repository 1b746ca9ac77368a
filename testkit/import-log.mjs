// `node --import ./testkit/import-log.mjs ...` appends the URL of every module the process imports (ES
// modules, as Node's module hooks see them) to the file HOLOTS_IMPORT_LOG names: how a test tells which
// operators a command loaded.
import { register } from 'node:module';

register('./import-log-hooks.mjs', import.meta.url);
