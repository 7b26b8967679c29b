import { escapeFor, escapeJson, type EscapeMode } from './escape.functions.js';
import { translateWord, type Language } from './language.packs.js';

/** A mustache higher-order section: gets the raw section text and a renderer bound to the context. */
export type MustacheLambda = (text: string, render: (template: string) => string) => string;

/** The escaping in force while one template renders; lambdas switch it off for their content. */
export interface RenderState {
  mode: EscapeMode;
}

export function escapeWithState(state: RenderState): (value: unknown) => string {
  return (value) => escapeFor(state.mode)(value);
}

export const DEFAULT_TRUNCATE_LENGTH = 100;
const ELLIPSIS = '…';

/**
 * Renders a section's content as plain text (no escaping), so a lambda can transform the real
 * characters; the lambda then escapes its result for the current output.
 */
function renderPlain(state: RenderState, render: (t: string) => string, text: string): string {
  const previous = state.mode;
  state.mode = 'none';
  try {
    return render(text);
  } finally {
    state.mode = previous;
  }
}

/** Cuts to at most `max` characters (code points), ending with `…` when something was cut. */
export function truncateText(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  if (max <= 0) return '';
  return chars.slice(0, max - 1).join('') + ELLIPSIS;
}

/**
 * The lambdas of the view model. Each is a property whose value is a function returning the
 * section function, because mustache.js calls function-valued properties before using them.
 */
export interface Lambdas {
  /** `{{#translate}}namespace{{/translate}}` → the word in the receiver's language. */
  readonly translate: () => MustacheLambda;
  /** `{{#truncate}}{{message}}{{/truncate}}` (100 characters) or `{{#truncate}}40:{{message}}{{/truncate}}`. */
  readonly truncate: () => MustacheLambda;
  /** `{{#upper}}…{{/upper}}` / `{{#lower}}…{{/lower}}`: changes case. */
  readonly upper: () => MustacheLambda;
  readonly lower: () => MustacheLambda;
  /** `{{#json}}…{{/json}}`: the content escaped for the inside of a JSON string, whatever the output. */
  readonly json: () => MustacheLambda;
}

export function createLambdas(state: RenderState, language: Language): Lambdas {
  const out = (s: string): string => escapeFor(state.mode)(s);
  const translate: MustacheLambda = (text, render) => out(translateWord(language, renderPlain(state, render, text).trim()));
  const truncate: MustacheLambda = (text, render) => {
    const m = /^\s*(\d+)\s*:/.exec(text);
    const max = m?.[1] === undefined ? DEFAULT_TRUNCATE_LENGTH : Number(m[1]);
    const body = m === null ? text : text.slice(m[0].length);
    return out(truncateText(renderPlain(state, render, body), max));
  };
  const upper: MustacheLambda = (text, render) => out(renderPlain(state, render, text).toUpperCase());
  const lower: MustacheLambda = (text, render) => out(renderPlain(state, render, text).toLowerCase());
  const json: MustacheLambda = (text, render) => escapeJson(renderPlain(state, render, text));
  return {
    translate: () => translate,
    truncate: () => truncate,
    upper: () => upper,
    lower: () => lower,
    json: () => json,
  };
}
