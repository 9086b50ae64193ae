// Records every module a Node process resolves, one URL a line, in the file named by
// RECORD_IMPORTS: `node --import ./test/helpers/record-imports.mjs …`. The same file is
// the hook module, registered from the main thread and run on the hooks thread.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) register(import.meta.url);

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (process.env.RECORD_IMPORTS) appendFileSync(process.env.RECORD_IMPORTS, resolved.url + '\n');
  return resolved;
}
