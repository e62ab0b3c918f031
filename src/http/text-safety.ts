/**
 * @module Text that may not enter the books: every string in a JSON body is checked before
 * any route sees it. A lone surrogate cannot be stored as UTF-8 (the driver would silently
 * turn it into U+FFFD, so what was sent is not what is kept); control characters and bidi
 * overrides make a name or payee look like something it is not, on screen, in a log line or
 * in a CSV cell.
 */
import type { InvalidField } from './problem.ts';

// C0 controls other than tab, line feed and carriage return; DEL; C1 controls.
const CONTROL = /(?![\t\n\r])\p{Cc}/u;
// Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder what a reader sees.
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
const LINE_BREAK_OR_TAB = /[\t\n\r]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Fields that name a party or a reference are one line: a line break or tab in them splits
 * a CSV row or a log line. Free text (descriptions, notes, plans) may span lines.
 */
const SINGLE_LINE_FIELD =
  /^(name|payee|payer|bankReference|reference|title|ownerDepartment|reporter|place|label|documentNumber|counterparty|unit|official)$/;

/** Bounds the walk: bodies are small, but a nested array of a million strings is not a body. */
const MAX_REPORTED = 20;
const MAX_DEPTH = 32;

function textProblem(key: string | undefined, text: string): string | undefined {
  if (LONE_SURROGATE.test(text)) return 'contains a lone surrogate (not valid Unicode text)';
  if (CONTROL.test(text)) return 'contains a control character';
  if (BIDI_CONTROL.test(text)) return 'contains a bidirectional override or isolate character';
  if (key !== undefined && SINGLE_LINE_FIELD.test(key) && LINE_BREAK_OR_TAB.test(text))
    return 'must be a single line (no line break or tab)';
  return undefined;
}

/** Every string (and object key) in a parsed JSON value that may not be stored, by path. */
export function unsafeTextFields(value: unknown, path = 'json'): InvalidField[] {
  const found: InvalidField[] = [];
  const walk = (node: unknown, at: string, key: string | undefined, depth: number): void => {
    if (found.length >= MAX_REPORTED) return;
    if (typeof node === 'string') {
      const reason = textProblem(key, node);
      if (reason) found.push({ field: at, reason });
      return;
    }
    if (node === null || typeof node !== 'object' || depth >= MAX_DEPTH) return;
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) walk(item, `${at}.${index}`, key, depth + 1);
      return;
    }
    for (const [name, child] of Object.entries(node)) {
      const keyReason = textProblem(undefined, name);
      if (keyReason) found.push({ field: `${at}.${name}`, reason: `its name ${keyReason}` });
      walk(child, `${at}.${name}`, name, depth + 1);
    }
  };
  walk(value, path, undefined, 0);
  return found;
}
