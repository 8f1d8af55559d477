import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built dashboard (index.html and assets/) as an absolute path, so the API can serve it at
 * `/` without knowing where the workspace puts this package. Plain JavaScript: the API loads it
 * at run time, and it must not drag the browser code or its bundler along.
 */
export function webDistPath() {
  return join(dirname(fileURLToPath(import.meta.url)), 'dist');
}
