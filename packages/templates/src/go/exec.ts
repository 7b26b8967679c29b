import type { ArgNode, BranchNode, ChainNode, CommandNode, IdentifierNode, Node, PipeNode, TemplateNode, Tree, VariableNode } from './parser.js';
import { printForAction } from './print.js';
import { GoMap, GoObject, GoSlice, GoStruct, isTrue, typeName, type GoFunc, type GoValue, type ParamType } from './values.js';

/**
 * The interpreter of parsed Go templates, with the semantics of Go's `text/template` executor
 * (`missingkey=zero`, as notification-manager configures it): dot and variables, field and map
 * access with methods first, function calls with Go's argument checks, pipelines, `if`/`with`/
 * `range` (with `else`, `break`, `continue`), `template` invocations with a fresh variable scope.
 *
 * It is bounded: every rendering has a budget of steps (nodes and commands evaluated), a maximum
 * depth of nested template invocations, and a maximum output size, so no template — recursive or
 * looping over a large range — can stall a sender or exhaust its memory.
 */

/** Where a template's text came from, for error positions. */
export interface TextOrigin {
  /** `configmap ns/name`, or another human-readable origin. */
  readonly source: string;
  /** The ConfigMap key holding the text. */
  readonly key: string;
  /** The whole text of that key (positions are offsets into it). */
  readonly text: string;
}

/** A parsed Go template ready to execute. */
export interface GoTemplate {
  readonly name: string;
  readonly tree: Tree;
  readonly origin: TextOrigin;
}

/** A template rendered by another engine (a mustache template invoked with `{{template}}`). */
export interface ExternalTemplate {
  readonly name: string;
  readonly render: (dot: GoValue, budget: RenderBudget) => string;
}

export type ResolvedTemplate = { readonly go: GoTemplate } | { readonly external: ExternalTemplate };

export interface ExecLimits {
  /** Characters one execution may write. */
  readonly maxOutput: number;
  /** Nodes and commands one rendering may evaluate. */
  readonly maxSteps: number;
  /** Nested `{{template}}` invocations. */
  readonly maxDepth: number;
}

export const DEFAULT_LIMITS: ExecLimits = { maxOutput: 16 * 1024 * 1024, maxSteps: 20_000_000, maxDepth: 100 };

/** Shared by every execution of one rendering, across engines. */
export interface RenderBudget {
  steps: number;
  depth: number;
  readonly limits: ExecLimits;
}

export function newBudget(limits: ExecLimits = DEFAULT_LIMITS): RenderBudget {
  return { steps: 0, depth: 0, limits };
}

export interface ExecEnv {
  readonly funcs: ReadonlyMap<string, GoFunc>;
  readonly lookup: (name: string) => ResolvedTemplate | undefined;
  readonly budget: RenderBudget;
}

/** 1-based line and column (in characters) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** An execution error, naming the origin, line and column, the template and the failing action. */
export class GoExecError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(
    readonly detail: string,
    readonly template: GoTemplate,
    readonly pos: number,
    readonly context: string,
  ) {
    const { line, column } = lineColumn(template.origin.text, pos);
    super(`${template.origin.source} key "${template.origin.key}" line ${line} col ${column}: executing "${template.name}" at <${context}>: ${detail}`);
    this.line = line;
    this.column = column;
  }
}

/** Raised by the budget checks; carries the same position information. */
export class GoLimitError extends GoExecError {}

const MISSING = Symbol('missing');
type Final = GoValue | typeof MISSING;

const NONE = 0;
const BREAK = 1;
const CONTINUE = 2;
type Signal = typeof NONE | typeof BREAK | typeof CONTINUE;

interface Variable {
  readonly name: string;
  value: GoValue;
}

interface At {
  readonly pos: number;
  readonly end: number;
}

class State {
  out = '';
  vars: Variable[];
  tmpl: GoTemplate;

  constructor(
    tmpl: GoTemplate,
    dot: GoValue,
    private readonly env: ExecEnv,
  ) {
    this.tmpl = tmpl;
    this.vars = [{ name: '$', value: dot }];
  }

  error(at: At, detail: string, limit = false): never {
    const snippet = this.tmpl.origin.text.slice(at.pos, Math.max(at.pos, at.end)).replace(/\s+/g, ' ').trim();
    const context = snippet.length > 40 ? snippet.slice(0, 40) + '…' : snippet;
    if (limit) throw new GoLimitError(detail, this.tmpl, at.pos, context);
    throw new GoExecError(detail, this.tmpl, at.pos, context);
  }

  private step(at: At): void {
    const b = this.env.budget;
    if (++b.steps > b.limits.maxSteps) this.error(at, `the template evaluated more than ${b.limits.maxSteps} steps`, true);
  }

  private write(at: At, s: string): void {
    this.out += s;
    if (this.out.length > this.env.budget.limits.maxOutput) {
      this.error(at, `the output is larger than ${this.env.budget.limits.maxOutput} characters`, true);
    }
  }

  walkList(dot: GoValue, list: readonly Node[]): Signal {
    for (const node of list) {
      const sig = this.walk(dot, node);
      if (sig !== NONE) return sig;
    }
    return NONE;
  }

  private walk(dot: GoValue, node: Node): Signal {
    this.step(node);
    switch (node.t) {
      case 'text':
        this.write(node, node.text);
        return NONE;
      case 'action': {
        const v = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.write(node, printForAction(v));
        return NONE;
      }
      case 'if':
      case 'with':
        return this.walkIfOrWith(dot, node);
      case 'range':
        return this.walkRange(dot, node);
      case 'template':
        this.walkTemplate(dot, node);
        return NONE;
      case 'break':
        return BREAK;
      case 'continue':
        return CONTINUE;
    }
  }

  private walkIfOrWith(dot: GoValue, node: BranchNode): Signal {
    const mark = this.vars.length;
    const val = this.evalPipeline(dot, node.pipe);
    let sig: Signal = NONE;
    if (isTrue(val)) sig = this.walkList(node.t === 'with' ? val : dot, node.list);
    else if (node.elseList !== undefined) sig = this.walkList(dot, node.elseList);
    this.vars.length = mark;
    return sig;
  }

  private walkRange(dot: GoValue, node: BranchNode): Signal {
    const mark = this.vars.length;
    const pipe = node.pipe;
    const val = this.evalPipeline(dot, pipe);
    const inner = this.vars.length;
    const decl = pipe.decl;
    const one = (index: GoValue, elem: GoValue): Signal => {
      this.step(node);
      if (decl.length > 0) {
        if (pipe.isAssign) this.setVar(pipe, decl[0]!, decl.length > 1 ? index : elem);
        else this.vars[inner - 1]!.value = elem;
      }
      if (decl.length > 1) {
        if (pipe.isAssign) this.setVar(pipe, decl[1]!, elem);
        else this.vars[inner - 2]!.value = index;
      }
      const sig = this.walkList(elem, node.list);
      this.vars.length = inner;
      return sig;
    };
    let ran = false;
    let sig: Signal = NONE;
    if (val instanceof GoSlice) {
      for (let i = 0; i < val.items.length; i++) {
        ran = true;
        if (one(i, val.items[i]) === BREAK) break;
      }
    } else if (val instanceof GoMap) {
      for (const k of val.sortedKeys()) {
        ran = true;
        if (one(k, val.entries[k]) === BREAK) break;
      }
    } else if (typeof val === 'number') {
      if (decl.length > 1) this.error(pipe, `can't use ${val} to iterate over more than one variable`);
      for (let i = 0; i < val; i++) {
        ran = true;
        if (one(i, i) === BREAK) break;
      }
    } else if (val !== undefined && val !== null) {
      this.error(pipe, `range can't iterate over ${printForAction(val)}`);
    }
    if (!ran && node.elseList !== undefined) sig = this.walkList(dot, node.elseList);
    this.vars.length = mark;
    return sig;
  }

  private walkTemplate(dot: GoValue, node: TemplateNode): void {
    const target = this.env.lookup(node.name);
    if (target === undefined) this.error(node, `template "${node.name}" not defined`);
    const budget = this.env.budget;
    if (budget.depth >= budget.limits.maxDepth) this.error(node, `exceeded maximum template depth (${budget.limits.maxDepth})`, true);
    const newDot = node.pipe === undefined ? undefined : this.evalPipeline(dot, node.pipe);
    budget.depth++;
    try {
      if ('go' in target) {
        const saveVars = this.vars;
        const saveTmpl = this.tmpl;
        this.vars = [{ name: '$', value: newDot }];
        this.tmpl = target.go;
        try {
          this.walkList(newDot, target.go.tree.root);
        } finally {
          this.vars = saveVars;
          this.tmpl = saveTmpl;
        }
        if (this.out.length > budget.limits.maxOutput) this.error(node, `the output is larger than ${budget.limits.maxOutput} characters`, true);
      } else {
        this.write(node, target.external.render(newDot, budget));
      }
    } finally {
      budget.depth--;
    }
  }

  // --- evaluation ------------------------------------------------------------------------------

  evalPipeline(dot: GoValue, pipe: PipeNode): GoValue {
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // A nil interface{} result is dug into, as Go does: it becomes no value.
      if (value === null) value = undefined;
    }
    const v = value === MISSING ? undefined : value;
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(pipe, name, v);
      else this.vars.push({ name, value: v });
    }
    return v;
  }

  private setVar(at: At, name: string, value: GoValue): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i]!;
      if (v.name === name) {
        v.value = value;
        return;
      }
    }
    this.error(at, `undefined variable: ${name}`);
  }

  private varValue(at: At, name: string): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i]!;
      if (v.name === name) return v.value;
    }
    this.error(at, `undefined variable: ${name}`);
  }

  private notAFunction(args: readonly ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.error(args[0]!, `can't give argument to non-function ${this.source(args[0]!)}`);
  }

  private source(at: At): string {
    return this.tmpl.origin.text.slice(at.pos, at.end);
  }

  private evalCommand(dot: GoValue, cmd: CommandNode, final: Final): GoValue {
    this.step(cmd);
    const first = cmd.args[0]!;
    switch (first.t) {
      case 'field':
        return this.evalFieldChain(dot, dot, first, first.idents, cmd.args, final);
      case 'chain':
        return this.evalChain(dot, first, cmd.args, final);
      case 'ident':
        return this.evalFunction(dot, first, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'var':
        return this.evalVariable(dot, first, cmd.args, final);
      default:
        break;
    }
    this.notAFunction(cmd.args, final);
    switch (first.t) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.error(first, 'nil is not a command');
      case 'number':
        return first.value;
      case 'string':
        return first.text;
    }
  }

  private evalChain(dot: GoValue, chain: ChainNode, args: readonly ArgNode[] | undefined, final: Final): GoValue {
    if (chain.node.t === 'nil') this.error(chain, `indirection through explicit nil in ${this.source(chain)}`);
    const receiver = this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(dot, receiver, chain, chain.fields, args, final);
  }

  private evalVariable(dot: GoValue, v: VariableNode, args: readonly ArgNode[] | undefined, final: Final): GoValue {
    const value = this.varValue(v, v.name);
    if (v.fields.length === 0) {
      if (args !== undefined) this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.fields, args, final);
  }

  private evalFieldChain(dot: GoValue, receiver: GoValue, node: At, idents: readonly string[], args: readonly ArgNode[] | undefined, final: Final): GoValue {
    const n = idents.length;
    let r = receiver;
    for (let i = 0; i < n - 1; i++) r = this.evalField(dot, idents[i]!, node, undefined, MISSING, r);
    return this.evalField(dot, idents[n - 1]!, node, args, final, r);
  }

  private evalField(dot: GoValue, name: string, node: At, args: readonly ArgNode[] | undefined, final: Final, receiver: GoValue): GoValue {
    if (receiver === undefined) return undefined;
    if (receiver === null) this.error(node, `nil pointer evaluating interface {}.${name}`);
    if (receiver instanceof GoObject) {
      const methods = receiver.type.methods;
      if (Object.hasOwn(methods, name)) return this.evalCall(dot, methods[name]!, receiver, node, name, args, final);
      const hasArgs = (args !== undefined && args.length > 1) || final !== MISSING;
      if (receiver instanceof GoStruct) {
        if (Object.hasOwn(receiver.fields, name)) {
          if (hasArgs) this.error(node, `${name} has arguments but cannot be invoked as function`);
          return receiver.fields[name];
        }
      } else if (receiver instanceof GoMap) {
        if (hasArgs) this.error(node, `${name} is not a method but has arguments`);
        return Object.hasOwn(receiver.entries, name) ? receiver.entries[name] : receiver.type.elemZero;
      }
    }
    this.error(node, `can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  private evalFunction(dot: GoValue, node: IdentifierNode, args: readonly ArgNode[] | undefined, final: Final): GoValue {
    const fn = this.env.funcs.get(node.name);
    if (fn === undefined) this.error(node, `"${node.name}" is not a defined function`);
    if (node.name === 'and' || node.name === 'or') return this.evalAndOr(dot, node, args, final);
    // Errors of a call show the whole command: <index . 3>.
    const at = args !== undefined && args.length > 1 ? { pos: args[0]!.pos, end: args[args.length - 1]!.end } : node;
    return this.evalCall(dot, fn, undefined, at, node.name, args, final);
  }

  /** `and` and `or` evaluate their arguments only until the result is known. */
  private evalAndOr(dot: GoValue, node: IdentifierNode, args: readonly ArgNode[] | undefined, final: Final): GoValue {
    const argNodes = args === undefined ? [] : args.slice(1);
    if (argNodes.length + (final === MISSING ? 0 : 1) < 1) this.error(node, `wrong number of args for ${node.name}: want at least 1 got 0`);
    const isOr = node.name === 'or';
    let v: GoValue = undefined;
    for (const a of argNodes) {
      v = this.evalArg(dot, undefined, a);
      if (isTrue(v) === isOr) return v;
    }
    if (final !== MISSING) v = final;
    return v;
  }

  private evalCall(
    dot: GoValue,
    fn: GoFunc,
    receiver: GoValue,
    node: At,
    name: string,
    args: readonly ArgNode[] | undefined,
    final: Final,
  ): GoValue {
    const argNodes = args === undefined ? [] : args.slice(1);
    const numIn = argNodes.length + (final === MISSING ? 0 : 1);
    const fixed = fn.params.length;
    if (fn.variadic !== undefined) {
      if (numIn < fixed) this.error(node, `wrong number of args for ${name}: want at least ${fixed} got ${numIn}`);
    } else if (numIn !== fixed) {
      this.error(node, `wrong number of args for ${name}: want ${fixed} got ${numIn}`);
    }
    const argv: GoValue[] = [];
    let i = 0;
    for (; i < fixed && i < argNodes.length; i++) argv.push(this.evalArg(dot, fn.params[i], argNodes[i]!));
    if (fn.variadic !== undefined) for (; i < argNodes.length; i++) argv.push(this.evalArg(dot, fn.variadic, argNodes[i]!));
    if (final !== MISSING) {
      const t = fn.variadic !== undefined && numIn - 1 >= fixed ? fn.variadic : fn.params[numIn - 1];
      argv.push(this.validateType(node, final, t));
    }
    try {
      return fn.call(argv, receiver);
    } catch (err) {
      if (err instanceof GoExecError) throw err;
      return this.error(node, `error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private validateType(at: At, value: GoValue, p: ParamType | undefined): GoValue {
    if (p === undefined) return value;
    if (value === undefined || value === null) {
      if (p.literal === 'value') return undefined;
      if (p.literal === 'any' || p.nilable) return null;
      this.error(at, `invalid value; expected ${p.name}`);
    }
    if (!p.accepts(value)) this.error(at, `wrong type for value; expected ${p.name}; got ${typeName(value)}`);
    return value;
  }

  private evalArg(dot: GoValue, p: ParamType | undefined, n: ArgNode): GoValue {
    switch (n.t) {
      case 'dot':
        return this.validateType(n, dot, p);
      case 'nil':
        if (p === undefined || p.literal === 'value') return undefined;
        if (p.literal === 'any' || p.nilable) return null;
        return this.error(n, `cannot assign nil to ${p.name}`);
      case 'field':
        return this.validateType(n, this.evalFieldChain(dot, dot, n, (n).idents, [n], MISSING), p);
      case 'var':
        return this.validateType(n, this.evalVariable(dot, n, undefined, MISSING), p);
      case 'pipe':
        return this.validateType(n, this.evalPipeline(dot, n), p);
      case 'ident':
        return this.validateType(n, this.evalFunction(dot, n, [n], MISSING), p);
      case 'chain':
        return this.validateType(n, this.evalChain(dot, n, undefined, MISSING), p);
      default:
        break;
    }
    const literal = p?.literal ?? 'any';
    switch (literal) {
      case 'value':
      case 'any':
        return n.t === 'bool' ? n.value : n.t === 'number' ? n.value : n.text;
      case 'bool':
        if (n.t === 'bool') return n.value;
        return this.error(n, `expected bool; found ${this.source(n)}`);
      case 'string':
        if (n.t === 'string') return n.text;
        return this.error(n, `expected string; found ${this.source(n)}`);
      case 'int':
        if (n.t === 'number' && n.int !== undefined) return n.int;
        return this.error(n, `expected integer; found ${this.source(n)}`);
      case 'typed':
        return this.error(n, `can't handle ${this.source(n)} for arg of type ${p?.name ?? 'interface {}'}`);
    }
  }
}

/** Executes a template with `data` as dot and `$`. Throws `GoExecError` (or `GoLimitError`). */
export function executeGo(template: GoTemplate, data: GoValue, env: ExecEnv): string {
  const state = new State(template, data, env);
  state.walkList(data, template.tree.root);
  return state.out;
}
