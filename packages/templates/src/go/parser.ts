import { lex, LexError, type Token, type TokenType } from './lexer.js';
import { GoFloat, type GoValue } from './values.js';

/**
 * The parser of Go's `text/template` language. It follows Go's grammar and its parse-time checks:
 * functions must exist, variables must be declared, `break`/`continue` only inside `range`,
 * `define` only at the top level, one non-empty definition per name, pipelines whose later
 * stages are executable. Errors carry the source offset, turned into line and column by the caller.
 */

interface At {
  /** Offset of the node's first character in the source. */
  readonly pos: number;
  /** Offset after the node's last character (for error context). */
  readonly end: number;
}

export interface FieldNode extends At {
  readonly t: 'field';
  readonly idents: readonly string[];
}
export interface VariableNode extends At {
  readonly t: 'var';
  readonly name: string;
  readonly fields: readonly string[];
}
export interface ChainNode extends At {
  readonly t: 'chain';
  readonly node: ArgNode;
  readonly fields: readonly string[];
}
export interface IdentifierNode extends At {
  readonly t: 'ident';
  readonly name: string;
}
export interface DotNode extends At {
  readonly t: 'dot';
}
export interface NilNode extends At {
  readonly t: 'nil';
}
export interface BoolNode extends At {
  readonly t: 'bool';
  readonly value: boolean;
}
export interface NumberNode extends At {
  readonly t: 'number';
  readonly text: string;
  /** The value without a type context: an int, or a float64 when written with `.`, `e` or `p`. */
  readonly value: GoValue;
  /** The integer value, when the constant is integral. */
  readonly int?: number;
}
export interface StringNode extends At {
  readonly t: 'string';
  readonly text: string;
}
export interface PipeNode extends At {
  readonly t: 'pipe';
  readonly decl: readonly string[];
  readonly isAssign: boolean;
  readonly cmds: readonly CommandNode[];
}
export interface CommandNode extends At {
  readonly args: readonly ArgNode[];
}

export type ArgNode = FieldNode | VariableNode | ChainNode | IdentifierNode | DotNode | NilNode | BoolNode | NumberNode | StringNode | PipeNode;

export interface TextNode extends At {
  readonly t: 'text';
  readonly text: string;
}
export interface ActionNode extends At {
  readonly t: 'action';
  readonly pipe: PipeNode;
}
export interface BranchNode extends At {
  readonly t: 'if' | 'with' | 'range';
  readonly pipe: PipeNode;
  readonly list: readonly Node[];
  readonly elseList?: readonly Node[];
}
export interface TemplateNode extends At {
  readonly t: 'template';
  readonly name: string;
  readonly pipe?: PipeNode;
}
export interface LoopControlNode extends At {
  readonly t: 'break' | 'continue';
}

export type Node = TextNode | ActionNode | BranchNode | TemplateNode | LoopControlNode;

/** One template: its name and body. */
export interface Tree {
  readonly name: string;
  readonly root: readonly Node[];
}

/** What one source text defines: the `define`/`block` templates and the top-level body. */
export interface ParsedText {
  readonly defines: ReadonlyMap<string, Tree>;
  /** The text outside definitions; `empty` when it holds nothing but space. */
  readonly root: Tree;
  readonly rootEmpty: boolean;
  /** Every name a `{{template}}` or `{{block}}` invokes, with the offset of its first use. */
  readonly calls: ReadonlyMap<string, number>;
}

export class GoParseError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

/** Deeper nesting of controls and parentheses is refused (it would only serve to exhaust the stack). */
export const MAX_NESTING = 100;

type EndItem = { readonly t: 'end'; readonly pos: number } | { readonly t: 'else'; readonly pos: number };

function isEmptyList(list: readonly Node[]): boolean {
  return list.every((n) => n.t === 'text' && n.text.trim() === '');
}

class Parser {
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private depth = 0;
  readonly defines = new Map<string, Tree>();
  readonly calls = new Map<string, number>();

  constructor(
    private readonly tokens: readonly Token[],
    private readonly hasFunction: (name: string) => boolean,
  ) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.type !== 'EOF') this.i++;
    return t;
  }
  private backup(n = 1): void {
    this.i -= n;
  }
  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }
  private peekNonSpace(): Token {
    const save = this.i;
    const t = this.nextNonSpace();
    this.i = save;
    return t;
  }
  private expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }
  private unexpected(t: Token, context: string): never {
    if (t.type === 'EOF') throw new GoParseError(`unexpected EOF in ${context}`, t.pos);
    throw new GoParseError(`unexpected ${describe(t)} in ${context}`, t.pos);
  }
  private enter(pos: number): void {
    if (++this.depth > MAX_NESTING) throw new GoParseError(`nesting deeper than ${MAX_NESTING} levels`, pos);
  }
  private leave(): void {
    this.depth--;
  }

  parse(): Node[] {
    const root: Node[] = [];
    while (this.peek().type !== 'EOF') {
      if (this.peek().type === 'leftDelim') {
        const save = this.i;
        const delim = this.next();
        if (this.nextNonSpace().type === 'define') {
          this.parseDefinition(delim.pos);
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if ('t' in n && (n.t === 'end' || n.t === 'else')) throw new GoParseError(`unexpected {{${n.t}}}`, n.pos);
      root.push(n);
    }
    return root;
  }

  private parseDefinition(pos: number): void {
    const context = 'define clause';
    const nameTok = this.nextNonSpace();
    const name = this.templateName(nameTok, context);
    this.expect('rightDelim', context);
    const saveVars = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    this.vars = saveVars;
    if (end.t !== 'end') throw new GoParseError('unexpected {{else}} in define clause', end.pos);
    this.add({ name, root: list }, pos);
  }

  private add(tree: Tree, pos: number): void {
    const existing = this.defines.get(tree.name);
    if (existing === undefined || isEmptyList(existing.root)) {
      this.defines.set(tree.name, tree);
      return;
    }
    if (!isEmptyList(tree.root)) throw new GoParseError(`template: multiple definition of template "${tree.name}"`, pos);
  }

  private templateName(tok: Token, context: string): string {
    if (tok.type === 'string' || tok.type === 'rawString') return unquote(tok);
    this.unexpected(tok, context);
  }

  /** Nodes up to `{{end}}` or `{{else}}`. */
  private itemList(): [Node[], EndItem] {
    const list: Node[] = [];
    for (;;) {
      if (this.peekNonSpace().type === 'EOF') throw new GoParseError('unexpected EOF', this.peekNonSpace().pos);
      const n = this.textOrAction();
      if ('t' in n && (n.t === 'end' || n.t === 'else')) return [list, n];
      list.push(n);
    }
  }

  private textOrAction(): Node | EndItem {
    const t = this.nextNonSpace();
    if (t.type === 'text') return { t: 'text', text: t.val, pos: t.pos, end: t.pos + t.val.length };
    if (t.type === 'leftDelim') return this.action(t.pos);
    this.unexpected(t, 'input');
  }

  private action(start: number): Node | EndItem {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'block':
        return this.blockControl(start);
      case 'break':
      case 'continue': {
        const end = this.expect('rightDelim', t.type);
        if (this.rangeDepth === 0) throw new GoParseError(`{{${t.type}}} outside {{range}}`, t.pos);
        return { t: t.type, pos: start, end: end.pos + 2 };
      }
      case 'else':
        return this.elseControl(t.pos);
      case 'end':
        this.expect('rightDelim', 'end');
        return { t: 'end', pos: start };
      case 'if':
      case 'range':
      case 'with':
        return this.control(t.type, start);
      case 'template':
        return this.templateControl(start);
      default:
        break;
    }
    this.backup();
    const pipe = this.pipeline('command', 'rightDelim');
    return { t: 'action', pipe, pos: start, end: this.tokens[this.i - 1]!.pos + 2 };
  }

  private elseControl(pos: number): EndItem {
    const p = this.peekNonSpace();
    // "{{else if …" and "{{else with …" leave the if/with pending for the enclosing control.
    if (p.type === 'if' || p.type === 'with') return { t: 'else', pos };
    this.expect('rightDelim', 'else');
    return { t: 'else', pos };
  }

  private control(kind: 'if' | 'range' | 'with', start: number): BranchNode {
    this.enter(start);
    const mark = this.vars.length;
    const pipe = this.pipeline(kind, 'rightDelim');
    if (kind === 'range') this.rangeDepth++;
    const [list, next] = this.itemList();
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | undefined;
    let end = next.pos;
    if (next.t === 'else') {
      const p = this.peekNonSpace();
      if ((kind === 'if' && p.type === 'if') || (kind === 'with' && p.type === 'with')) {
        // {{if a}}…{{else if b}}…{{end}} is {{if a}}…{{else}}{{if b}}…{{end}}{{end}}.
        this.nextNonSpace();
        const inner = this.control(kind, next.pos);
        elseList = [inner];
        end = inner.end;
      } else {
        const [l, e] = this.itemList();
        if (e.t !== 'end') throw new GoParseError('expected end; found {{else}}', e.pos);
        elseList = l;
        end = e.pos;
      }
    }
    this.vars.length = mark;
    this.leave();
    return { t: kind, pipe, list, ...(elseList === undefined ? {} : { elseList }), pos: start, end };
  }

  private templateControl(start: number): TemplateNode {
    const context = 'template clause';
    const name = this.templateName(this.nextNonSpace(), context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().type !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    if (!this.calls.has(name)) this.calls.set(name, start);
    return { t: 'template', name, ...(pipe === undefined ? {} : { pipe }), pos: start, end: this.tokens[this.i - 1]!.pos + 2 };
  }

  private blockControl(start: number): TemplateNode {
    const context = 'block clause';
    const name = this.templateName(this.nextNonSpace(), context);
    const pipe = this.pipeline(context, 'rightDelim');
    const end = this.tokens[this.i - 1]!.pos + 2;
    const saveVars = this.vars;
    const saveRange = this.rangeDepth;
    this.vars = ['$'];
    this.rangeDepth = 0;
    this.enter(start);
    const [list, e] = this.itemList();
    this.leave();
    this.vars = saveVars;
    this.rangeDepth = saveRange;
    if (e.t !== 'end') throw new GoParseError('unexpected {{else}} in block clause', e.pos);
    this.add({ name, root: list }, start);
    if (!this.calls.has(name)) this.calls.set(name, start);
    return { t: 'template', name, pipe, pos: start, end };
  }

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const start = this.peekNonSpace().pos;
    const decl: string[] = [];
    let isAssign = false;
    // Declarations: "$x :=", "$x =", and in range "$i, $v :=".
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      const save = this.i;
      this.nextNonSpace();
      const nxt = this.peekNonSpace();
      if (nxt.type === 'assign' || nxt.type === 'declare') {
        isAssign = nxt.type === 'assign';
        this.nextNonSpace();
        if (isAssign && !this.vars.includes(v.val)) throw new GoParseError(`undefined variable "${v.val}"`, v.pos);
        decl.push(v.val);
        break;
      }
      if (nxt.type === 'char' && nxt.val === ',') {
        this.nextNonSpace();
        decl.push(v.val);
        if (context === 'range' && decl.length < 2) {
          const p = this.peekNonSpace();
          if (p.type === 'variable' || p.type === 'rightDelim' || p.type === 'rightParen') continue;
          throw new GoParseError('range can only initialize variables', p.pos);
        }
        throw new GoParseError(`too many declarations in ${context}`, v.pos);
      }
      this.i = save;
      break;
    }
    if (decl.length === 2 && isAssign) {
      for (const d of decl) if (!this.vars.includes(d)) throw new GoParseError(`undefined variable "${d}"`, start);
    }
    if (!isAssign) this.vars.push(...decl);
    if (decl.length > 0 && decl.length !== 1 && context !== 'range') throw new GoParseError(`too many declarations in ${context}`, start);
    const cmds: CommandNode[] = [];
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        if (cmds.length === 0) throw new GoParseError(`missing value for ${context}`, t.pos);
        for (let k = 1; k < cmds.length; k++) {
          const first = cmds[k]!.args[0]!;
          if (first.t === 'bool' || first.t === 'dot' || first.t === 'nil' || first.t === 'number' || first.t === 'string') {
            throw new GoParseError(`non executable command in pipeline stage ${k + 1}`, first.pos);
          }
        }
        return { t: 'pipe', decl, isAssign, cmds, pos: start, end: t.pos };
      }
      switch (t.type) {
        case 'bool':
        case 'charConstant':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private command(): CommandNode {
    const args: ArgNode[] = [];
    const start = this.peekNonSpace().pos;
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand !== undefined) args.push(operand);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') this.backup();
      else if (t.type !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (args.length === 0) throw new GoParseError('empty command', start);
    return { args, pos: start, end: args[args.length - 1]!.end };
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (node === undefined) return undefined;
    if (this.peek().type !== 'field') return node;
    const fields: string[] = [];
    let end = node.end;
    while (this.peek().type === 'field') {
      const f = this.next();
      fields.push(f.val.slice(1));
      end = f.pos + f.val.length;
    }
    switch (node.t) {
      case 'field':
        return { t: 'field', idents: [...node.idents, ...fields], pos: node.pos, end };
      case 'var':
        return { t: 'var', name: node.name, fields: [...node.fields, ...fields], pos: node.pos, end };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        throw new GoParseError(`unexpected . after term "${describeNode(node)}"`, node.end);
      default:
        return { t: 'chain', node, fields, pos: node.pos, end };
    }
  }

  private term(): ArgNode | undefined {
    const t = this.nextNonSpace();
    const end = t.pos + t.val.length;
    switch (t.type) {
      case 'identifier':
        if (!this.hasFunction(t.val)) throw new GoParseError(`function "${t.val}" not defined`, t.pos);
        return { t: 'ident', name: t.val, pos: t.pos, end };
      case 'dot':
        return { t: 'dot', pos: t.pos, end };
      case 'nil':
        return { t: 'nil', pos: t.pos, end };
      case 'variable': {
        if (!this.vars.includes(t.val)) throw new GoParseError(`undefined variable "${t.val}"`, t.pos);
        return { t: 'var', name: t.val, fields: [], pos: t.pos, end };
      }
      case 'field':
        return { t: 'field', idents: [t.val.slice(1)], pos: t.pos, end };
      case 'bool':
        return { t: 'bool', value: t.val === 'true', pos: t.pos, end };
      case 'charConstant':
      case 'number':
        return numberNode(t);
      case 'leftParen': {
        this.enter(t.pos);
        const pipe = this.pipeline('parenthesized pipeline', 'rightParen');
        this.leave();
        return { ...pipe, pos: t.pos, end: pipe.end + 1 };
      }
      case 'string':
      case 'rawString':
        return { t: 'string', text: unquote(t), pos: t.pos, end };
      default:
        this.backup();
        return undefined;
    }
  }
}

function describe(t: Token): string {
  switch (t.type) {
    case 'EOF':
      return 'EOF';
    case 'rightDelim':
      return '"}}"';
    case 'leftDelim':
      return '"{{"';
    case 'space':
      return 'space';
    case 'text':
      return `text ${JSON.stringify(t.val.length > 20 ? t.val.slice(0, 20) + '…' : t.val)}`;
    case 'block':
    case 'break':
    case 'continue':
    case 'define':
    case 'else':
    case 'end':
    case 'if':
    case 'range':
    case 'template':
    case 'with':
    case 'nil':
      return `<${t.val}>`;
    default:
      return JSON.stringify(t.val);
  }
}

function describeNode(n: ArgNode): string {
  switch (n.t) {
    case 'bool':
      return String(n.value);
    case 'string':
      return JSON.stringify(n.text);
    case 'number':
      return n.text;
    case 'nil':
      return 'nil';
    default:
      return '.';
  }
}

// --- literals ----------------------------------------------------------------------------------

function utf8Bytes(cp: number, out: number[]): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}

/** Decodes the escapes of a Go interpreted string or rune literal body into bytes. */
function unescape(body: string, quote: '"' | "'", pos: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < body.length; ) {
    const cp = body.codePointAt(i)!;
    if (cp !== 0x5c) {
      utf8Bytes(cp, out);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const c = body[i + 1];
    i += 2;
    const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
    if (c !== undefined && Object.hasOwn(simple, c)) {
      out.push(simple[c]!);
      continue;
    }
    if (c === quote) {
      out.push(c.charCodeAt(0));
      continue;
    }
    const hex = (n: number): number => {
      const h = body.slice(i, i + n);
      if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) throw new GoParseError('invalid syntax in quoted literal', pos);
      i += n;
      return parseInt(h, 16);
    };
    if (c === 'x') {
      out.push(hex(2));
      continue;
    }
    if (c === 'u' || c === 'U') {
      const v = hex(c === 'u' ? 4 : 8);
      if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new GoParseError('invalid syntax in quoted literal', pos);
      utf8Bytes(v, out);
      continue;
    }
    if (c !== undefined && c >= '0' && c <= '7') {
      const o = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) throw new GoParseError('invalid syntax in quoted literal', pos);
      out.push(parseInt(o, 8));
      i += 2;
      continue;
    }
    throw new GoParseError('invalid syntax in quoted literal', pos);
  }
  return out;
}

function unquote(t: Token): string {
  if (t.type === 'rawString') return t.val.slice(1, -1).replace(/\r/g, '');
  return Buffer.from(unescape(t.val.slice(1, -1), '"', t.pos)).toString('utf8');
}

function numberNode(t: Token): NumberNode {
  const end = t.pos + t.val.length;
  const text = t.val;
  if (t.type === 'charConstant') {
    const bytes = unescape(text.slice(1, -1), "'", t.pos);
    let v: number;
    if (bytes.length === 1) v = bytes[0]!;
    else {
      const cps = Array.from(Buffer.from(bytes).toString('utf8'));
      if (cps.length !== 1) throw new GoParseError(`malformed character constant: ${text}`, t.pos);
      v = cps[0]!.codePointAt(0)!;
    }
    return { t: 'number', text, value: v, int: v, pos: t.pos, end };
  }
  if (text.endsWith('i')) throw new GoParseError(`complex numbers are not supported: ${text}`, t.pos);
  const clean = text.replace(/_/g, '');
  const neg = clean.startsWith('-');
  const unsigned = clean.replace(/^[+-]/, '');
  const isHex = /^0[xX]/.test(unsigned);
  const isFloatSyntax = isHex ? /[pP]/.test(unsigned) : /[.eE]/.test(unsigned);
  if (!isFloatSyntax) {
    let v: number;
    if (isHex) v = parseInt(unsigned.slice(2), 16);
    else if (/^0[oO]/.test(unsigned)) v = parseInt(unsigned.slice(2), 8);
    else if (/^0[bB]/.test(unsigned)) v = parseInt(unsigned.slice(2), 2);
    else if (/^0[0-7]+$/.test(unsigned)) v = parseInt(unsigned.slice(1), 8);
    else if (/^[0-9]+$/.test(unsigned)) v = Number(unsigned);
    else throw new GoParseError(`illegal number syntax: "${text}"`, t.pos);
    if (Number.isNaN(v)) throw new GoParseError(`illegal number syntax: "${text}"`, t.pos);
    if (v > Number.MAX_SAFE_INTEGER) throw new GoParseError(`integer overflow: "${text}"`, t.pos);
    const n = neg ? -v : v;
    return { t: 'number', text, value: n, int: n, pos: t.pos, end };
  }
  let f: number;
  if (isHex) {
    const m = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(unsigned);
    if (m === null) throw new GoParseError(`illegal number syntax: "${text}"`, t.pos);
    const mant = parseInt((m[1] ?? '') + (m[2] ?? '') || '0', 16) / Math.pow(16, (m[2] ?? '').length);
    f = mant * Math.pow(2, Number(m[3]));
  } else {
    if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(unsigned)) throw new GoParseError(`illegal number syntax: "${text}"`, t.pos);
    f = Number(unsigned);
  }
  if (neg) f = -f;
  return { t: 'number', text, value: new GoFloat(f), ...(Number.isInteger(f) && Math.abs(f) <= Number.MAX_SAFE_INTEGER ? { int: f } : {}), pos: t.pos, end };
}

/**
 * Parses one source text: its definitions and top-level body. `hasFunction` tells which function
 * names exist (Go checks this at parse time). Throws `GoParseError` with the offset of the problem.
 */
export function parseGoTemplate(text: string, name: string, hasFunction: (name: string) => boolean): ParsedText {
  let tokens: Token[];
  try {
    tokens = lex(text);
  } catch (err) {
    if (err instanceof LexError) throw new GoParseError(err.message, err.pos);
    throw err;
  }
  const p = new Parser(tokens, hasFunction);
  const root = p.parse();
  return { defines: p.defines, root: { name, root }, rootEmpty: isEmptyList(root), calls: p.calls };
}
