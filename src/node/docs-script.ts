/**
 * @module Scalar's standalone script for /docs, read once from the installed
 * @scalar/api-reference package, so the API reference needs no network.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { DocsScript } from '../http/docs.ts';

export function docsScriptFromPackage(): DocsScript {
  let script: Promise<string> | undefined;
  return () => {
    // The package's exports do not list the browser bundle; it sits beside the entry (dist/).
    const entry = createRequire(import.meta.url).resolve('@scalar/api-reference');
    script ??= readFile(path.join(path.dirname(entry), 'browser', 'standalone.js'), 'utf8');
    return script;
  };
}
