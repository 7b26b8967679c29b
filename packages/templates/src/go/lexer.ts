/**
 * The lexer of Go's `text/template` syntax: text, `{{`/`}}` with the `{{- ` and ` -}}` trim
 * markers, comments `{{/* … *\/}}`, and inside actions the tokens of Go's template language.
 * It produces the whole token list at once; positions are offsets into the source.
 */

export type TokenType =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'bool'
  | 'char' // a single ASCII punctuation character, such as ','
  | 'charConstant'
  | 'number'
  | 'assign'
  | 'declare'
  | 'field'
  | 'identifier'
  | 'leftParen'
  | 'rightParen'
  | 'pipe'
  | 'rawString'
  | 'string'
  | 'variable'
  | 'dot'
  | 'nil'
  | 'block'
  | 'break'
  | 'continue'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'range'
  | 'template'
  | 'with'
  | 'EOF';

export interface Token {
  readonly type: TokenType;
  readonly val: string;
  /** Offset of the token in the source. */
  readonly pos: number;
}

/** A lexical error, at an offset of the source. */
export class LexError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

const KEYWORDS: Readonly<Record<string, TokenType>> = {
  block: 'block',
  break: 'break',
  continue: 'continue',
  define: 'define',
  else: 'else',
  end: 'end',
  if: 'if',
  range: 'range',
  nil: 'nil',
  template: 'template',
  with: 'with',
  true: 'bool',
  false: 'bool',
};

const LEFT = '{{';
const RIGHT = '}}';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

const ALNUM = /[\p{L}\p{Nd}_]/u;

function isAlphaNumeric(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if ((code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95) return true;
  if (code < 128) return false;
  return ALNUM.test(c);
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function trimRightLength(s: string): number {
  let n = s.length;
  while (n > 0 && isSpace(s[n - 1])) n--;
  return s.length - n;
}

/** The character (code point) at `i`. */
function charAt(s: string, i: number): string | undefined {
  if (i >= s.length) return undefined;
  const cp = s.codePointAt(i)!;
  return String.fromCodePoint(cp);
}

export function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  const emit = (type: TokenType, start: number, end: number): void => {
    tokens.push({ type, val: input.slice(start, end), pos: start });
  };

  // Text and delimiters.
  while (pos <= input.length) {
    const x = input.indexOf(LEFT, pos);
    if (x < 0) {
      if (pos < input.length) emit('text', pos, input.length);
      break;
    }
    const trimLeft = input[x + LEFT.length] === '-' && isSpace(input[x + LEFT.length + 1]);
    let textEnd = x;
    if (trimLeft) textEnd -= trimRightLength(input.slice(pos, x));
    if (textEnd > pos) emit('text', pos, textEnd);
    let p = x + LEFT.length + (trimLeft ? 2 : 0);
    if (input.startsWith('/*', p)) {
      const end = input.indexOf('*/', p + 2);
      if (end < 0) throw new LexError('unclosed comment', x);
      p = end + 2;
      let trimRight = false;
      if (input.startsWith(' -' + RIGHT, p)) {
        trimRight = true;
        p += 2 + RIGHT.length;
      } else if (input.startsWith(RIGHT, p)) {
        p += RIGHT.length;
      } else {
        throw new LexError('comment ends before closing delimiter', x);
      }
      if (trimRight) while (isSpace(input[p])) p++;
      pos = p;
      continue;
    }
    tokens.push({ type: 'leftDelim', val: LEFT, pos: x });
    pos = lexInsideAction(input, p, tokens, x);
  }
  tokens.push({ type: 'EOF', val: '', pos: input.length });
  return tokens;
}

/** Lexes one action from `start` (after `{{`) and returns the position after its `}}` (and any trimmed space). */
function lexInsideAction(input: string, start: number, tokens: Token[], actionStart: number): number {
  let pos = start;
  let parenDepth = 0;
  const emit = (type: TokenType, s: number, e: number): void => {
    tokens.push({ type, val: input.slice(s, e), pos: s });
  };
  for (;;) {
    // The right delimiter, with or without a trim marker.
    const trimmed = input.startsWith(' -' + RIGHT, pos);
    if (trimmed || input.startsWith(RIGHT, pos)) {
      if (parenDepth > 0) throw new LexError('unclosed left paren', pos);
      const markerLen = trimmed ? 2 : 0;
      tokens.push({ type: 'rightDelim', val: RIGHT, pos: pos + markerLen });
      pos += markerLen + RIGHT.length;
      if (trimmed) while (isSpace(input[pos])) pos++;
      return pos;
    }
    const c = charAt(input, pos);
    if (c === undefined) throw new LexError('unclosed action', actionStart);
    if (isSpace(c)) {
      const s = pos;
      while (isSpace(input[pos])) pos++;
      // A trim-marked closing delimiter has a minus after a space: leave that space to it.
      if (input.startsWith('-' + RIGHT, pos)) {
        pos--;
        if (pos === s) continue;
      }
      emit('space', s, pos);
      continue;
    }
    switch (c) {
      case '=':
        emit('assign', pos, pos + 1);
        pos++;
        continue;
      case ':':
        if (input[pos + 1] !== '=') throw new LexError('expected :=', pos);
        emit('declare', pos, pos + 2);
        pos += 2;
        continue;
      case '|':
        emit('pipe', pos, pos + 1);
        pos++;
        continue;
      case '"': {
        const s = pos;
        pos++;
        for (;;) {
          const ch = input[pos];
          if (ch === '\\') {
            if (input[pos + 1] === undefined || input[pos + 1] === '\n') throw new LexError('unterminated quoted string', s);
            pos += 2;
            continue;
          }
          if (ch === undefined || ch === '\n') throw new LexError('unterminated quoted string', s);
          pos++;
          if (ch === '"') break;
        }
        emit('string', s, pos);
        continue;
      }
      case '`': {
        const end = input.indexOf('`', pos + 1);
        if (end < 0) throw new LexError('unterminated raw quoted string', pos);
        emit('rawString', pos, end + 1);
        pos = end + 1;
        continue;
      }
      case "'": {
        const s = pos;
        pos++;
        for (;;) {
          const ch = input[pos];
          if (ch === '\\') {
            if (input[pos + 1] === undefined || input[pos + 1] === '\n') throw new LexError('unterminated character constant', s);
            pos += 2;
            continue;
          }
          if (ch === undefined || ch === '\n') throw new LexError('unterminated character constant', s);
          pos++;
          if (ch === "'") break;
        }
        emit('charConstant', s, pos);
        continue;
      }
      case '$': {
        const s = pos;
        pos++;
        while (isAlphaNumeric(charAt(input, pos))) pos += charAt(input, pos)!.length;
        emit('variable', s, pos);
        continue;
      }
      case '.':
        if (isDigit(input[pos + 1])) {
          pos = lexNumber(input, pos, tokens);
          continue;
        }
        {
          const s = pos;
          pos++;
          while (isAlphaNumeric(charAt(input, pos))) pos += charAt(input, pos)!.length;
          if (pos === s + 1) {
            // A lone '.': dot, which must be followed by a terminator.
            emit('dot', s, pos);
          } else {
            emit('field', s, pos);
          }
          checkTerminator(input, pos);
          continue;
        }
      case '(':
        emit('leftParen', pos, pos + 1);
        pos++;
        parenDepth++;
        continue;
      case ')':
        parenDepth--;
        if (parenDepth < 0) throw new LexError('unexpected right paren', pos);
        emit('rightParen', pos, pos + 1);
        pos++;
        continue;
      default:
        break;
    }
    if (c === '+' || c === '-' || isDigit(c)) {
      pos = lexNumber(input, pos, tokens);
      continue;
    }
    if (isAlphaNumeric(c)) {
      const s = pos;
      while (isAlphaNumeric(charAt(input, pos))) pos += charAt(input, pos)!.length;
      checkTerminator(input, pos);
      const word = input.slice(s, pos);
      const kw = Object.hasOwn(KEYWORDS, word) ? KEYWORDS[word] : undefined;
      emit(kw ?? 'identifier', s, pos);
      continue;
    }
    const code = c.codePointAt(0)!;
    if (code < 0x7f && code >= 0x20) {
      emit('char', pos, pos + 1);
      pos++;
      continue;
    }
    throw new LexError(`unrecognized character in action: U+${code.toString(16).toUpperCase().padStart(4, '0')}`, pos);
  }
}

function checkTerminator(input: string, pos: number): void {
  const c = input[pos];
  if (c === undefined || isSpace(c) || c === '.' || c === ',' || c === '|' || c === ':' || c === ')' || c === '(') return;
  if (input.startsWith(RIGHT, pos)) return;
  throw new LexError(`bad character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} '${c}'`, pos);
}

function lexNumber(input: string, start: number, tokens: Token[]): number {
  let pos = start;
  const accept = (set: string): boolean => {
    const c = input[pos];
    if (c !== undefined && set.includes(c)) {
      pos++;
      return true;
    }
    return false;
  };
  const acceptRun = (set: string): void => {
    while (accept(set));
  };
  accept('+-');
  let digits = '0123456789_';
  if (accept('0')) {
    if (accept('xX')) digits = '0123456789abcdefABCDEF_';
    else if (accept('oO')) digits = '01234567_';
    else if (accept('bB')) digits = '01_';
  }
  acceptRun(digits);
  if (accept('.')) acceptRun(digits);
  if (digits.length === 11 && accept('eE')) {
    accept('+-');
    acceptRun('0123456789_');
  }
  if (digits.length === 23 && accept('pP')) {
    accept('+-');
    acceptRun('0123456789_');
  }
  accept('i');
  if (isAlphaNumeric(charAt(input, pos))) throw new LexError(`bad number syntax: "${input.slice(start, pos + 1)}"`, start);
  tokens.push({ type: 'number', val: input.slice(start, pos), pos: start });
  return pos;
}
