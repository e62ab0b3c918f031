/**
 * @module Scalar's standalone script for /docs on Workers: bundled by wrangler as a text
 * module (see `[[rules]]` in wrangler.toml), since a Worker has no file system to read it from.
 */
import standalone from '../../node_modules/@scalar/api-reference/dist/browser/standalone.js';
import type { DocsScript } from '../http/docs.ts';

export const docsScriptFromBundle: DocsScript = async () => standalone;
