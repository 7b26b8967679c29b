/**
 * The values a Go template sees, modelled on Go's reflection kinds so that truth, comparison,
 * printing, field access and argument checks behave as in `text/template`:
 *
 * - `string`, `number` (Go `int`), `boolean`: the basic values;
 * - `GoFloat`: a `float64` (number literals with `.`, `e` or `p`);
 * - `null`: a nil interface (`print nil`);
 * - `undefined`: Go's invalid `reflect.Value` ("no value": a field of nil data, a missing key of a
 *   map whose elements are interfaces). It prints as `<no value>` and is false;
 * - `GoObject`s: structs, pointers to structs, maps, slices and named string types, each with a
 *   `GoType` giving its Go name (for error messages) and its methods.
 */
export type GoValue = string | number | boolean | null | undefined | GoObject;

export type GoKind = 'struct' | 'ptr' | 'map' | 'slice' | 'string' | 'float';

/** How an argument of a function or method is checked and converted (Go's parameter type). */
export interface ParamType {
  /** The Go type, as Go names it in error messages. */
  readonly name: string;
  /**
   * How literals are taken: `value` (reflect.Value) and `any` (interface{}) take any literal;
   * `string`, `int` and `bool` take only their own kind; `typed` takes none.
   */
  readonly literal: 'value' | 'any' | 'string' | 'int' | 'bool' | 'typed';
  /** Whether an untyped nil / no value is acceptable (then passed as `null`). */
  readonly nilable: boolean;
  /** Whether a computed value may be passed. */
  accepts(value: GoValue): boolean;
}

/** A function of the function map or a method of a Go type. */
export interface GoFunc {
  readonly params: readonly ParamType[];
  /** The element type of a final `...T` parameter. */
  readonly variadic?: ParamType;
  /** `args` are checked against `params`; throws `GoCallError` (or any Error) on failure. */
  readonly call: (args: GoValue[], receiver: GoValue) => GoValue;
}

export interface GoType {
  readonly name: string;
  readonly kind: GoKind;
  readonly methods: Readonly<Record<string, GoFunc>>;
  /** Map types: the zero value of the element type (`missingkey=zero`). */
  readonly elemZero?: GoValue;
  /** Struct types: the field names in declaration order (for printing). */
  readonly fields?: readonly string[];
}

export abstract class GoObject {
  abstract readonly type: GoType;
}

const NO_METHODS: Readonly<Record<string, GoFunc>> = Object.freeze({});

export function goType(name: string, kind: GoKind, extra: Partial<Omit<GoType, 'name' | 'kind'>> = {}): GoType {
  return { name, kind, methods: extra.methods ?? NO_METHODS, ...extra };
}

/** A struct or a pointer to a struct (kind `ptr`: never nil here; a nil pointer is `null`). */
export class GoStruct extends GoObject {
  constructor(
    readonly type: GoType,
    readonly fields: Readonly<Record<string, GoValue>>,
  ) {
    super();
  }
}

/** A map with string keys (labels, annotations). `entries` has no prototype. */
export class GoMap extends GoObject {
  constructor(
    readonly type: GoType,
    readonly entries: Readonly<Record<string, GoValue>>,
  ) {
    super();
  }

  get size(): number {
    return Object.keys(this.entries).length;
  }

  sortedKeys(): string[] {
    return Object.keys(this.entries).sort(compareStrings);
  }
}

export class GoSlice extends GoObject {
  constructor(
    readonly type: GoType,
    readonly items: readonly GoValue[],
  ) {
    super();
  }
}

/** A `float64`. */
export class GoFloat extends GoObject {
  constructor(readonly value: number) {
    super();
  }
  get type(): GoType {
    return FLOAT64;
  }
}

/** A named string type (`template.HTML` from `safeHtml`): a string that is not a Go `string`. */
export class GoNamedString extends GoObject {
  constructor(
    readonly type: GoType,
    readonly value: string,
  ) {
    super();
  }
}

export const FLOAT64 = goType('float64', 'float');
export const HTML_TYPE = goType('template.HTML', 'string');
export const STRING_SLICE = goType('[]string', 'slice');
export const ANY_SLICE = goType('[]interface {}', 'slice');

/** Go compares strings by bytes; for UTF-16 this is the same order except around surrogates. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The Go type name of a value, as Go prints it in errors and for `%T`. */
export function typeName(v: GoValue): string {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'int';
    case 'boolean':
      return 'bool';
    case 'undefined':
      return '<nil>';
    default:
      return v === null ? '<nil>' : v.type.name;
  }
}

/** Go's basic kinds, as `eq` and `lt` classify values. */
export type BasicKind = 'invalid' | 'bool' | 'int' | 'float' | 'string' | 'other';

export function basicKind(v: GoValue): BasicKind {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'int';
    case 'boolean':
      return 'bool';
    case 'undefined':
      return 'invalid';
    default:
      if (v === null) return 'invalid';
      if (v instanceof GoFloat) return 'float';
      if (v instanceof GoNamedString) return 'string';
      return 'other';
  }
}

/** The string inside a string-kind value. */
export function stringOf(v: GoValue): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof GoNamedString) return v.value;
  return undefined;
}

/** The number inside an int or float value. */
export function numberOf(v: GoValue): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof GoFloat) return v.value;
  return undefined;
}

/** Go's truth (`if`, `with`, `and`, `or`, `not`): the zero value of its type is false. */
export function isTrue(v: GoValue): boolean {
  switch (typeof v) {
    case 'string':
      return v.length > 0;
    case 'number':
      return v !== 0;
    case 'boolean':
      return v;
    case 'undefined':
      return false;
    default:
      if (v === null) return false;
      if (v instanceof GoFloat) return v.value !== 0;
      if (v instanceof GoNamedString) return v.value.length > 0;
      if (v instanceof GoSlice) return v.items.length > 0;
      if (v instanceof GoMap) return v.size > 0;
      return true; // structs are always true; pointers here are never nil
  }
}

/** The length of a string in UTF-8 bytes, as Go's `len` counts it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

// --- parameter types --------------------------------------------------------------------------

function param(name: string, literal: ParamType['literal'], nilable: boolean, accepts: (v: GoValue) => boolean): ParamType {
  return { name, literal, nilable, accepts };
}

/** `reflect.Value` parameters of the built-in functions (`eq`, `len`, `index`…): anything. */
export const P_VALUE = param('reflect.Value', 'value', true, () => true);
/** `interface{}` parameters (`print`, `printf`'s arguments): anything. */
export const P_ANY = param('interface {}', 'any', true, () => true);
export const P_STRING = param('string', 'string', false, (v) => typeof v === 'string');
export const P_INT = param('int', 'int', false, (v) => typeof v === 'number');
export const P_STRING_SLICE = param('[]string', 'typed', true, (v) => v instanceof GoSlice && v.type === STRING_SLICE);

export function typedParam(type: GoType): ParamType {
  return param(type.name, 'typed', type.kind === 'ptr' || type.kind === 'map' || type.kind === 'slice', (v) => v instanceof GoObject && v.type === type);
}

/** A Go string slice. */
export function stringSlice(items: readonly string[]): GoSlice {
  return new GoSlice(STRING_SLICE, items);
}

/** The strings of a `[]string` argument (`null` is a nil slice). */
export function stringsOf(v: GoValue): readonly string[] {
  if (v instanceof GoSlice) return v.items.map((x) => (typeof x === 'string' ? x : ''));
  return [];
}
