import Mustache from 'mustache';
import type { TemplateSpans } from 'mustache';
import { LruCache } from './lru.cache.js';

/**
 * The one mustache writer of the process. Parsed token trees are cached by template text in a
 * bounded LRU, so rebuilding a registry after a ConfigMap change re-parses only what changed, and
 * old texts age out instead of accumulating.
 */
const TOKEN_CACHE_CAPACITY = 4096;

const tokenCache = new LruCache<TemplateSpans>(TOKEN_CACHE_CAPACITY);
const writer = new Mustache.Writer();
(writer as unknown as { templateCache: unknown }).templateCache = {
  get: (key: string) => tokenCache.get(key),
  set: (key: string, tokens: TemplateSpans) => tokenCache.set(key, tokens),
  clear: () => tokenCache.clear(),
};

export type PartialLookup = (name: string) => string | undefined;

/** Parses (or fetches from the cache) a template's token tree. Throws mustache's parse errors. */
export function parseTemplate(text: string): TemplateSpans {
  return writer.parse(text) as TemplateSpans;
}

/** A mustache context stack: `view` looked up first, then `parent`. */
export function mustacheContext(view: object, parent?: object): object {
  const parentContext = parent === undefined ? undefined : parent instanceof Mustache.Context ? parent : new Mustache.Context(parent);
  return new Mustache.Context(view, parentContext);
}

/** Renders a text with a view (or a context stack from `mustacheContext`). */
export function renderTemplate(text: string, view: object, partials: PartialLookup, escape: (value: unknown) => string): string {
  return writer.render(text, view, partials, { escape });
}

/** The names of every partial (`{{> name}}`) a token tree refers to, nested sections included. */
export function partialNames(tokens: TemplateSpans, into: Set<string> = new Set()): Set<string> {
  for (const token of tokens) {
    const type = token[0];
    if (type === '>') into.add(token[1]);
    else if ((type === '#' || type === '^') && Array.isArray(token[4])) partialNames(token[4], into);
  }
  return into;
}
