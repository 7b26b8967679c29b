import type { GoObject} from './values.js';
import { GoFloat, GoMap, GoNamedString, GoSlice, GoStruct, typeName, type GoValue } from './values.js';

/**
 * Go's `fmt` as templates use it: `%v` printing of every value (what an action prints), `print`,
 * `println` and `printf` with the verbs, flags, widths and precisions of Go, including Go's
 * in-band error notes (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA int=1)`).
 */

/** A value with a `String()` method (time.Time) prints through it, as fmt does for Stringers. */
function stringer(v: GoObject): string | undefined {
  const m = v.type.methods['String'];
  if (m === undefined || m.params.length > 0 || m.variadic !== undefined) return undefined;
  const s = m.call([], v);
  return typeof s === 'string' ? s : undefined;
}

/** What `{{ pipeline }}` prints: fmt's `%v` after one pointer indirection; no value is `<no value>`. */
export function printForAction(v: GoValue): string {
  if (v === undefined) return '<no value>';
  if (typeof v === 'string') return v;
  if (v instanceof GoStruct && v.type.kind === 'ptr' && stringer(v) === undefined) return formatStruct(v, 'v', NO_FLAGS, 1);
  return formatValue(v, 'v', NO_FLAGS, 0);
}

/** `fmt.Sprint`: spaces between operands when neither side is a string. */
export function sprint(args: readonly GoValue[]): string {
  let out = '';
  let prevString = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const isString = typeof a === 'string' || a instanceof GoNamedString;
    if (i > 0 && !isString && !prevString) out += ' ';
    out += formatValue(a, 'v', NO_FLAGS, 0);
    prevString = isString;
  }
  return out;
}

/** `fmt.Sprintln`: spaces between all operands and a final newline. */
export function sprintln(args: readonly GoValue[]): string {
  return args.map((a) => formatValue(a, 'v', NO_FLAGS, 0)).join(' ') + '\n';
}

interface Flags {
  readonly plus: boolean;
  readonly minus: boolean;
  readonly sharp: boolean;
  readonly space: boolean;
  readonly zero: boolean;
  readonly width?: number;
  readonly prec?: number;
}

const NO_FLAGS: Flags = { plus: false, minus: false, sharp: false, space: false, zero: false };

/** `fmt.Sprintf`. */
export function sprintf(format: string, args: readonly GoValue[]): string {
  let out = '';
  let argi = 0;
  const n = format.length;
  let i = 0;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    let plus = false;
    let minus = false;
    let sharp = false;
    let space = false;
    let zero = false;
    for (; i < n; i++) {
      const c = format[i];
      if (c === '+') plus = true;
      else if (c === '-') minus = true;
      else if (c === '#') sharp = true;
      else if (c === ' ') space = true;
      else if (c === '0') zero = true;
      else break;
    }
    let width: number | undefined;
    let prec: number | undefined;
    let bad = '';
    if (format[i] === '*') {
      i++;
      const w = args[argi++];
      if (typeof w === 'number') {
        width = Math.abs(w);
        if (w < 0) minus = true;
      } else bad += '%!(BADWIDTH)';
    } else {
      const start = i;
      while (i < n && format.charCodeAt(i) >= 48 && format.charCodeAt(i) <= 57) i++;
      if (i > start) width = Number(format.slice(start, i));
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        const p = args[argi++];
        if (typeof p === 'number' && p >= 0) prec = p;
        else bad += '%!(BADPREC)';
      } else {
        const start = i;
        while (i < n && format.charCodeAt(i) >= 48 && format.charCodeAt(i) <= 57) i++;
        prec = i > start ? Number(format.slice(start, i)) : 0;
      }
    }
    out += bad;
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const cp = format.codePointAt(i)!;
    const verb = String.fromCodePoint(cp);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const flags: Flags = { plus, minus, sharp, space, zero: zero && !minus, ...(width === undefined ? {} : { width }), ...(prec === undefined ? {} : { prec }) };
    out += formatValue(args[argi++], verb, flags, 0);
  }
  if (argi < args.length) {
    out += '%!(EXTRA ' + args.slice(argi).map((a) => `${typeName(a)}=${formatValue(a, 'v', NO_FLAGS, 0)}`).join(', ') + ')';
  }
  return out;
}

function badVerb(v: GoValue, verb: string): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${formatValue(v, 'v', NO_FLAGS, 0)})`;
}

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

function pad(s: string, f: Flags, zeroAllowed = false): string {
  if (f.width === undefined) return s;
  const len = runeCount(s);
  if (len >= f.width) return s;
  const fill = f.width - len;
  if (f.minus) return s + ' '.repeat(fill);
  if (f.zero && zeroAllowed) {
    const sign = /^[+\- ]/.test(s) ? s[0]! : '';
    const rest = s.slice(sign.length);
    const prefix = /^0[xXbBoO]/.test(rest) ? rest.slice(0, 2) : '';
    return sign + prefix + '0'.repeat(fill) + rest.slice(prefix.length);
  }
  return ' '.repeat(fill) + s;
}

function formatValue(v: GoValue, verb: string, f: Flags, depth: number): string {
  if (verb === 'T') return pad(typeName(v), f);
  if (v === undefined || v === null) return verb === 'v' ? pad('<nil>', f) : badVerb(v, verb);
  if (typeof v === 'boolean') return verb === 'v' || verb === 't' ? pad(v ? 'true' : 'false', f) : badVerb(v, verb);
  if (typeof v === 'number') return formatInt(v, verb, f);
  if (typeof v === 'string') return formatString(v, verb, f, v);
  if (v instanceof GoFloat) return formatFloat(v.value, verb, f, v);
  if (v instanceof GoNamedString) return formatString(v.value, verb, f, v);
  if (verb === 'v' || verb === 's' || verb === 'q' || verb === 'x' || verb === 'X') {
    const s = stringer(v);
    if (s !== undefined) return formatString(s, verb, f, v);
  }
  if (v instanceof GoSlice) return '[' + v.items.map((x) => formatValue(x, verb, f, depth + 1)).join(' ') + ']';
  if (v instanceof GoMap) {
    return 'map[' + v.sortedKeys().map((k) => `${formatValue(k, verb, f, depth + 1)}:${formatValue(v.entries[k], verb, f, depth + 1)}`).join(' ') + ']';
  }
  if (v instanceof GoStruct) return (v.type.kind === 'ptr' && depth === 0 ? '&' : '') + formatStruct(v, verb, f, depth + 1);
  return badVerb(v, verb);
}

function formatStruct(v: GoStruct, verb: string, f: Flags, depth: number): string {
  const names = v.type.fields ?? Object.keys(v.fields);
  return '{' + names.map((k) => (f.plus && verb === 'v' ? `${k}:` : '') + formatValue(v.fields[k], verb, f, depth)).join(' ') + '}';
}

function formatString(s: string, verb: string, f: Flags, original: GoValue): string {
  switch (verb) {
    case 'v':
    case 's':
      return pad(f.prec === undefined ? s : truncateRunes(s, f.prec), f);
    case 'q':
      return pad(f.sharp && canBackquote(s) ? '`' + s + '`' : quote(f.prec === undefined ? s : truncateRunes(s, f.prec)), f);
    case 'x':
    case 'X': {
      let hex = Buffer.from(f.prec === undefined ? s : truncateRunes(s, f.prec), 'utf8').toString('hex');
      if (verb === 'X') hex = hex.toUpperCase();
      return pad(hex, f);
    }
    default:
      return badVerb(original, verb);
  }
}

function truncateRunes(s: string, n: number): string {
  return Array.from(s).slice(0, n).join('');
}

function canBackquote(s: string): boolean {
  return !/[`\u0000-\u0008\u000a-\u001f\u007f\ufeff]/.test(s);
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function escapeRune(ch: string, quoteChar: string): string {
  switch (ch) {
    case '\x07':
      return '\\a';
    case '\b':
      return '\\b';
    case '\f':
      return '\\f';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    case '\v':
      return '\\v';
    case '\\':
      return '\\\\';
    default:
      break;
  }
  if (ch === quoteChar) return '\\' + ch;
  if (PRINTABLE.test(ch)) return ch;
  const cp = ch.codePointAt(0)!;
  if (cp < 0x80) return '\\x' + cp.toString(16).padStart(2, '0');
  if (cp >= 0xd800 && cp <= 0xdfff) return '\\ufffd';
  if (cp < 0x10000) return '\\u' + cp.toString(16).padStart(4, '0');
  return '\\U' + cp.toString(16).padStart(8, '0');
}

/** `strconv.Quote`. */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch, '"');
  return out + '"';
}

function quoteRune(cp: number): string {
  const ch = cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
  return "'" + escapeRune(ch, "'") + "'";
}

function formatInt(n: number, verb: string, f: Flags): string {
  const neg = n < 0;
  const abs = Math.abs(n);
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'v':
    case 'd':
      digits = abs.toString(10);
      break;
    case 'b':
      digits = abs.toString(2);
      if (f.sharp) prefix = '0b';
      break;
    case 'o':
      digits = abs.toString(8);
      if (f.sharp) prefix = '0';
      break;
    case 'O':
      digits = abs.toString(8);
      prefix = '0o';
      break;
    case 'x':
      digits = abs.toString(16);
      if (f.sharp) prefix = '0x';
      break;
    case 'X':
      digits = abs.toString(16).toUpperCase();
      if (f.sharp) prefix = '0X';
      break;
    case 'c':
      return pad(n >= 0 && n <= 0x10ffff && !(n >= 0xd800 && n <= 0xdfff) ? String.fromCodePoint(n) : '\ufffd', f);
    case 'q':
      return pad(quoteRune(n), f);
    case 'U': {
      const u = 'U+' + abs.toString(16).toUpperCase().padStart(4, '0');
      return pad(f.sharp && n <= 0x10ffff && PRINTABLE.test(String.fromCodePoint(n)) ? `${u} '${String.fromCodePoint(n)}'` : u, f);
    }
    default:
      return badVerb(n, verb);
  }
  if (f.prec !== undefined) {
    digits = f.prec === 0 && abs === 0 ? '' : digits.padStart(f.prec, '0');
  }
  const sign = neg ? '-' : f.plus ? '+' : f.space ? ' ' : '';
  return pad(sign + prefix + digits, f, f.prec === undefined);
}

/**
 * JavaScript rounds an exact tie (2.25 to one decimal) up; Go rounds it to even. The exact value
 * of a double has a finite decimal expansion, so a longer expansion tells whether there is a tie.
 */
function isEvenTie(long: string, kept: number): boolean {
  const tail = long.slice(kept).replace('.', '');
  if (!/^50*$/.test(tail)) return false;
  const last = long.slice(0, kept).replace(/[^0-9]/g, '').slice(-1);
  return Number(last) % 2 === 0;
}

function toFixedHalfEven(x: number, p: number): string {
  const long = x.toFixed(Math.min(p + 40, 100));
  const dot = long.indexOf('.');
  const kept = p === 0 ? dot : dot + 1 + p;
  return isEvenTie(long, kept) ? long.slice(0, kept) : x.toFixed(p);
}

function toExponentialHalfEven(x: number, p: number): string {
  const long = x.toExponential(Math.min(p + 40, 100));
  const e = long.indexOf('e');
  const mant = long.slice(0, e);
  const kept = p === 0 ? 1 : 2 + p;
  return isEvenTie(mant, kept) ? mant.slice(0, kept) + long.slice(e) : x.toExponential(p);
}

/** Shortest (prec < 0) or `prec` significant decimal digits of |x|, without trailing zeros, and the decimal point position. */
function decimalDigits(x: number, prec: number): { digits: string; dp: number } {
  const s = prec < 0 ? x.toExponential() : toExponentialHalfEven(x, Math.min(Math.max(prec - 1, 0), 100));
  const e = s.indexOf('e');
  let digits = s.slice(0, e).replace('.', '');
  const exp = Number(s.slice(e + 1));
  digits = digits.replace(/0+$/, '');
  if (digits === '') return { digits: '0', dp: 1 };
  return { digits, dp: exp + 1 };
}

function fmtE(digits: string, dp: number, prec: number, upper: boolean): string {
  let out = digits[0] ?? '0';
  if (prec > 0) out += '.' + digits.slice(1, 1 + prec).padEnd(prec, '0');
  const exp = digits === '0' ? 0 : dp - 1;
  const ae = Math.abs(exp);
  return out + (upper ? 'E' : 'e') + (exp < 0 ? '-' : '+') + (ae < 10 ? '0' : '') + String(ae);
}

function fmtF(digits: string, dp: number, prec: number): string {
  let int: string;
  let frac: string;
  if (dp <= 0) {
    int = '0';
    frac = '0'.repeat(-dp) + digits;
  } else if (dp >= digits.length) {
    int = digits + '0'.repeat(dp - digits.length);
    frac = '';
  } else {
    int = digits.slice(0, dp);
    frac = digits.slice(dp);
  }
  if (prec <= 0) return int;
  return int + '.' + frac.slice(0, prec).padEnd(prec, '0');
}

/** `%e`, `%f`, `%g` and `%v` of a float64, as strconv formats them. */
export function formatFloatVerb(x: number, verb: string, prec: number | undefined, sharp = false): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let body: string;
  switch (verb) {
    case 'e':
    case 'E': {
      const p = prec ?? 6;
      const { digits, dp } = decimalDigits(a, p + 1);
      body = fmtE(digits, dp, p, verb === 'E');
      break;
    }
    case 'f':
    case 'F': {
      const p = prec ?? 6;
      body = a < 1e21 ? toFixedHalfEven(a, Math.min(p, 100)) : fmtF(decimalDigits(a, -1).digits, decimalDigits(a, -1).dp, p);
      if (p > 100) body += '0'.repeat(p - 100);
      break;
    }
    case 'v':
    case 'g':
    case 'G': {
      const shortest = prec === undefined;
      let p = shortest ? -1 : prec === 0 ? 1 : prec;
      const { digits, dp } = decimalDigits(a, p);
      let eprec = p;
      if (shortest) {
        p = digits.length;
        eprec = 6;
      } else if (eprec > digits.length && digits.length >= dp) eprec = digits.length;
      const exp = dp - 1;
      if (exp < -4 || exp >= eprec) {
        body = fmtE(digits, dp, Math.min(p, digits.length) - 1, verb === 'G');
      } else {
        body = fmtF(digits, dp, Math.max((p > dp ? digits.length : p) - dp, 0));
      }
      if (sharp && !body.includes('.') && !/[eE]/.test(body)) body += '.';
      break;
    }
    default:
      return undefined;
  }
  return (neg ? '-' : '') + body;
}

function formatFloat(x: number, verb: string, f: Flags, original: GoValue): string {
  const body = formatFloatVerb(x, verb, f.prec, f.sharp);
  if (body === undefined) return badVerb(original, verb);
  const signed = !body.startsWith('-') && (f.plus || f.space) && body !== 'NaN' ? (f.plus ? '+' : ' ') + body.replace(/^\+/, '') : body;
  return pad(signed, f, Number.isFinite(x));
}
