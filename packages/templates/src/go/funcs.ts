import { compileRegex } from '@nm/model';
import { translateWord, type Language } from '../language.packs.js';
import { alertMessage, alertMessageCN, ALERT_TYPE } from './data.js';
import { printForAction, sprint, sprintf, sprintln } from './print.js';
import { regexpReplaceAll } from './regexp.js';
import {
  basicKind,
  GoMap,
  GoNamedString,
  GoObject,
  GoSlice,
  GoStruct,
  HTML_TYPE,
  isTrue,
  numberOf,
  P_ANY,
  P_STRING,
  P_STRING_SLICE,
  P_VALUE,
  stringOf,
  stringSlice,
  stringsOf,
  typedParam,
  typeName,
  utf8Length,
  type GoFunc,
  type GoValue,
} from './values.js';
import { GoTime } from './time.js';

/**
 * The functions a Go template can call: Go's `text/template` built-ins (`and`, `or`, `not`, `len`,
 * `index`, `slice`, `print`, `printf`, `println`, `html`, `js`, `urlquery`, `eq`, `ne`, `lt`, `le`,
 * `gt`, `ge`, `call`) and notification-manager's function map (`toUpper`, `toLower`, `title`,
 * `join`, `match`, `reReplaceAll`, `safeHtml`, `stringSlice`, `escape`, `translate`, `message`).
 */

/** The longest string a function may produce (the same bound as a rendering's output). */
export const MAX_VALUE_LENGTH = 16 * 1024 * 1024;

function bounded(s: string): string {
  if (s.length > MAX_VALUE_LENGTH) throw new Error(`the result is longer than ${MAX_VALUE_LENGTH} characters`);
  return s;
}

const fn = (params: GoFunc['params'], call: GoFunc['call'], variadic?: GoFunc['variadic']): GoFunc =>
  variadic === undefined ? { params, call } : { params, variadic, call };

// --- comparison ---------------------------------------------------------------------------------

const ERR_BAD_TYPE = 'invalid type for comparison';
const ERR_INCOMPATIBLE = 'incompatible types for comparison';

function structEqual(a: GoObject, b: GoObject): boolean {
  if (a instanceof GoTime && b instanceof GoTime) return a.compare(b) === 0 && a.offset === b.offset && a.zone === b.zone;
  if (a instanceof GoStruct && b instanceof GoStruct) {
    if (a.type.kind === 'ptr') return a === b;
    const names = a.type.fields ?? Object.keys(a.fields);
    return names.every((k) => {
      const x = a.fields[k];
      const y = b.fields[k];
      return x instanceof GoObject && y instanceof GoObject ? structEqual(x, y) : x === y;
    });
  }
  return a === b;
}

function equal(a: GoValue, b: GoValue): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 !== k2) {
    if (k1 !== 'invalid' && k2 !== 'invalid') throw new Error(ERR_INCOMPATIBLE);
    return false;
  }
  switch (k1) {
    case 'invalid':
      return true;
    case 'bool':
    case 'int':
      return a === b;
    case 'float':
      return numberOf(a) === numberOf(b);
    case 'string':
      return stringOf(a) === stringOf(b);
    case 'other': {
      const x = a as GoObject;
      const y = b as GoObject;
      if (x.type !== y.type) throw new Error(`non-comparable types ${printForAction(x)}: ${typeName(x)}, ${typeName(y)}: ${printForAction(y)}`);
      if (x instanceof GoSlice || x instanceof GoMap) throw new Error(`non-comparable type ${printForAction(x)}: ${typeName(x)}`);
      return structEqual(x, y);
    }
  }
}

function less(a: GoValue, b: GoValue): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k1 === 'other' || k2 === 'invalid' || k2 === 'other') throw new Error(ERR_BAD_TYPE);
  if (k1 !== k2) throw new Error(ERR_INCOMPATIBLE);
  switch (k1) {
    case 'bool':
      throw new Error(ERR_BAD_TYPE);
    case 'int':
    case 'float':
      return numberOf(a)! < numberOf(b)!;
    case 'string':
      return stringOf(a)! < stringOf(b)!;
  }
}

// --- len, index, slice ---------------------------------------------------------------------------

function goLen(v: GoValue): number {
  if (v === undefined || v === null) throw new Error('len of untyped nil');
  if (typeof v === 'string') return utf8Length(v);
  if (v instanceof GoNamedString) return utf8Length(v.value);
  if (v instanceof GoSlice) return v.items.length;
  if (v instanceof GoMap) return v.size;
  throw new Error(`len of type ${typeName(v)}`);
}

function indexArg(index: GoValue, cap: number): number {
  if (index === undefined || index === null) throw new Error('cannot index slice/array with nil');
  if (typeof index !== 'number') throw new Error(`cannot index slice/array with type ${typeName(index)}`);
  if (index < 0 || index > cap) throw new Error(`index out of range: ${index}`);
  return index;
}

function goIndex(item: GoValue, indexes: readonly GoValue[]): GoValue {
  if (item === undefined || item === null) throw new Error('index of untyped nil');
  let cur: GoValue = item;
  for (const index of indexes) {
    const s = stringOf(cur);
    if (s !== undefined) {
      const bytes = Buffer.from(s, 'utf8');
      const x = indexArg(index, bytes.length);
      if (x === bytes.length) throw new Error(`index out of range: ${x}`);
      cur = bytes[x]!;
    } else if (cur instanceof GoSlice) {
      const x = indexArg(index, cur.items.length);
      if (x === cur.items.length) throw new Error(`index out of range: ${x}`);
      cur = cur.items[x];
    } else if (cur instanceof GoMap) {
      if (index === undefined || index === null) throw new Error('value is nil; should be of type string');
      if (typeof index !== 'string') throw new Error(`value has type ${typeName(index)}; should be string`);
      cur = Object.hasOwn(cur.entries, index) ? cur.entries[index] : cur.type.elemZero;
    } else {
      throw new Error(`can't index item of type ${typeName(cur)}`);
    }
  }
  return cur;
}

function goSlice(item: GoValue, indexes: readonly GoValue[]): GoValue {
  if (item === undefined || item === null) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  const s = stringOf(item);
  let len: number;
  if (s !== undefined) {
    if (indexes.length === 3) throw new Error('cannot 3-index slice a string');
    len = utf8Length(s);
  } else if (item instanceof GoSlice) {
    len = item.items.length;
  } else {
    throw new Error(`can't slice item of type ${typeName(item)}`);
  }
  const idx = [0, len, len];
  indexes.forEach((x, i) => {
    idx[i] = indexArg(x, len);
  });
  if (idx[0]! > idx[1]!) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) throw new Error(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (s !== undefined) {
    const out = Buffer.from(s, 'utf8').subarray(idx[0], idx[1]).toString('utf8');
    return item instanceof GoNamedString ? new GoNamedString(item.type, out) : out;
  }
  return new GoSlice((item as GoSlice).type, (item as GoSlice).items.slice(idx[0], idx[1]));
}

// --- escaping --------------------------------------------------------------------------------------

/** The text of the escaping functions' arguments: one string as is, else `fmt.Sprint`. */
function evalArgs(args: readonly GoValue[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === null || a === undefined ? '<no value>' : a)));
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;', '\0': '\ufffd' };

/** Go's `template.HTMLEscapeString`. */
export function htmlEscape(s: string): string {
  return s.replace(/["'&<>\0]/g, (c) => HTML_ESCAPES[c]!);
}

const JS_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '<': '\\u003C',
  '>': '\\u003E',
  '&': '\\u0026',
  '=': '\\u003D',
};
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's `template.JSEscapeString`. */
export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (Object.hasOwn(JS_ESCAPES, ch)) out += JS_ESCAPES[ch];
    else if (cp < 0x20) out += '\\u00' + cp.toString(16).toUpperCase().padStart(2, '0');
    else if (cp < 0x80 || PRINTABLE.test(ch)) out += ch;
    else out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

/** Go's `url.QueryEscape`. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e) {
      out += String.fromCharCode(b);
    } else if (b === 0x20) out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/**
 * notification-manager's `escape`: the string JSON-encoded (with Go's HTML-safe escaping of `<`,
 * `>` and `&`) without the surrounding quotes, for values inside a JSON template.
 */
export function jsonEscape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x22:
        out += '\\"';
        continue;
      case 0x5c:
        out += '\\\\';
        continue;
      case 0x0a:
        out += '\\n';
        continue;
      case 0x0d:
        out += '\\r';
        continue;
      case 0x09:
        out += '\\t';
        continue;
      case 0x3c:
        out += '\\u003c';
        continue;
      case 0x3e:
        out += '\\u003e';
        continue;
      case 0x26:
        out += '\\u0026';
        continue;
      case 0x2028:
        out += '\\u2028';
        continue;
      case 0x2029:
        out += '\\u2029';
        continue;
      default:
        break;
    }
    if (c < 0x20) {
      out += '\\u00' + c.toString(16).padStart(2, '0');
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
      } else out += '\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      out += '\ufffd';
    } else out += s[i]!;
  }
  return out;
}

// --- strings ----------------------------------------------------------------------------------------

/** Per code point, as Go's unicode case mapping (no expansion such as ß → SS). */
function mapRunes(s: string, f: (ch: string) => string): string {
  let out = '';
  for (const ch of s) {
    const m = f(ch);
    out += Array.from(m).length === 1 ? m : ch;
  }
  return out;
}

function isSeparator(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if (cp <= 0x7f) return !((cp >= 0x30 && cp <= 0x39) || (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a) || cp === 0x5f);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

/** Go's `strings.Title`: the first letter of each word in title case. */
export function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    const up = isSeparator(prev) ? ch.toUpperCase() : ch;
    out += Array.from(up).length === 1 ? up : ch;
    prev = ch;
  }
  return out;
}

// --- the function map --------------------------------------------------------------------------------

const P_ALERT = typedParam(ALERT_TYPE);

export const BUILTIN_FUNCS: ReadonlyMap<string, GoFunc> = new Map<string, GoFunc>([
  ['and', fn([P_VALUE], () => undefined, P_VALUE)],
  ['or', fn([P_VALUE], () => undefined, P_VALUE)],
  ['not', fn([P_VALUE], (a) => !isTrue(a[0]))],
  ['len', fn([P_VALUE], (a) => goLen(a[0]))],
  ['index', fn([P_VALUE], (a) => goIndex(a[0], a.slice(1)), P_VALUE)],
  ['slice', fn([P_VALUE], (a) => goSlice(a[0], a.slice(1)), P_VALUE)],
  ['print', fn([], (a) => bounded(sprint(a)), P_ANY)],
  ['printf', fn([P_STRING], (a) => bounded(sprintf(a[0] as string, a.slice(1))), P_ANY)],
  ['println', fn([], (a) => bounded(sprintln(a)), P_ANY)],
  ['html', fn([], (a) => bounded(htmlEscape(evalArgs(a))), P_ANY)],
  ['js', fn([], (a) => bounded(jsEscape(evalArgs(a))), P_ANY)],
  ['urlquery', fn([], (a) => bounded(queryEscape(evalArgs(a))), P_ANY)],
  [
    'eq',
    fn(
      [P_VALUE],
      (a) => {
        if (a.length < 2) throw new Error('missing argument for comparison');
        return a.slice(1).some((b) => equal(a[0], b));
      },
      P_VALUE,
    ),
  ],
  ['ne', fn([P_VALUE, P_VALUE], (a) => !equal(a[0], a[1]))],
  ['lt', fn([P_VALUE, P_VALUE], (a) => less(a[0], a[1]))],
  ['le', fn([P_VALUE, P_VALUE], (a) => less(a[0], a[1]) || equal(a[0], a[1]))],
  ['gt', fn([P_VALUE, P_VALUE], (a) => !(less(a[0], a[1]) || equal(a[0], a[1])))],
  ['ge', fn([P_VALUE, P_VALUE], (a) => !less(a[0], a[1]))],
  [
    'call',
    fn(
      [P_VALUE],
      (a) => {
        if (a[0] === undefined || a[0] === null) throw new Error('call of nil');
        throw new Error(`non-function ${printForAction(a[0])} of type ${typeName(a[0])}`);
      },
      P_VALUE,
    ),
  ],
]);

/** notification-manager's functions that do not depend on the language. */
const NM_STATIC_FUNCS: ReadonlyMap<string, GoFunc> = new Map<string, GoFunc>([
  ['toUpper', fn([P_STRING], (a) => mapRunes(a[0] as string, (c) => c.toUpperCase()))],
  ['toLower', fn([P_STRING], (a) => mapRunes(a[0] as string, (c) => c.toLowerCase()))],
  ['title', fn([P_STRING], (a) => title(a[0] as string))],
  ['join', fn([P_STRING, P_STRING_SLICE], (a) => bounded(stringsOf(a[1]).join(a[0] as string)))],
  [
    'match',
    fn([P_STRING, P_STRING], (a) => compileRegex(a[0] as string).test(a[1] as string)),
  ],
  ['reReplaceAll', fn([P_STRING, P_STRING, P_STRING], (a) => regexpReplaceAll(a[0] as string, a[1] as string, a[2] as string, MAX_VALUE_LENGTH))],
  ['safeHtml', fn([P_STRING], (a) => new GoNamedString(HTML_TYPE, a[0] as string))],
  ['stringSlice', fn([], (a) => stringSlice(a as string[]), P_STRING)],
  ['escape', fn([P_STRING], (a) => jsonEscape(a[0] as string))],
]);

/** Every function name a template may use (Go checks names when it parses). */
export const FUNCTION_NAMES: ReadonlySet<string> = new Set([...BUILTIN_FUNCS.keys(), ...NM_STATIC_FUNCS.keys(), 'translate', 'message']);

const byLanguage = new WeakMap<Language, ReadonlyMap<string, GoFunc>>();

/** The whole function map for a rendering language (`translate` and `message` depend on it). */
export function funcsFor(language: Language): ReadonlyMap<string, GoFunc> {
  let m = byLanguage.get(language);
  if (m === undefined) {
    m = new Map<string, GoFunc>([
      ...BUILTIN_FUNCS,
      ...NM_STATIC_FUNCS,
      ['translate', fn([P_STRING], (a) => translateWord(language, a[0] as string))],
      [
        'message',
        fn([P_ALERT], (a) => {
          if (a[0] === null || a[0] === undefined) throw new Error('runtime error: invalid memory address or nil pointer dereference');
          return language.chineseFirst ? alertMessageCN(a[0]) : alertMessage(a[0]);
        }),
      ],
    ]);
    byLanguage.set(language, m);
  }
  return m;
}

