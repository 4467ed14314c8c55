// Registered with node --import: resolving esbuild, tsx or prettier throws, so a
// command that runs under it has proved it never loads them.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (/^(esbuild|tsx|prettier)(\\/|$)/.test(specifier)) throw new Error('loaded ' + specifier);
  return next(specifier, context);
}`),
);
