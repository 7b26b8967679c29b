/** Errors thrown while resolving or rendering templates. Each has a stable `code`. */
export class TemplateError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Where a template text came from: a ConfigMap (`configmap ns/name`) and its data key. */
export interface TemplateOrigin {
  readonly source: string;
  readonly key: string;
}

/** A mustache text that does not parse. `line` is 1-based. */
export class TemplateParseError extends TemplateError {
  constructor(
    readonly origin: TemplateOrigin,
    readonly line: number,
    detail: string,
  ) {
    super('TEMPLATE_PARSE', `${origin.source} key "${origin.key}" line ${line}: ${detail}`);
  }
}

/** A Go template text that does not parse (a syntax error or a construct that is not supported). */
export class GoTemplateError extends TemplateError {
  constructor(
    readonly origin: TemplateOrigin,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super('GO_TEMPLATE', goTemplateMessage(origin, line, column, detail));
  }
}

/** Where Go templates are described. */
export const GO_TEMPLATES_GUIDE = 'docs/templates.md#go-templates';
/** The optional move from Go templates to mustache. */
export const MIGRATION_GUIDE = 'docs/templates.md#migrating-from-go-templates';

export function goTemplateMessage(origin: TemplateOrigin, line: number, column: number, detail: string): string {
  return `${origin.source} key "${origin.key}" line ${line} col ${column}: Go template: ${detail}`;
}

/** A receiver or option names a template that no ConfigMap defines and that is not built in. */
export class TemplateNotFoundError extends TemplateError {
  constructor(
    readonly templateName: string,
    readonly field: string,
  ) {
    super('TEMPLATE_NOT_FOUND', `${field}: template "${templateName}" is neither built in nor defined in a template ConfigMap`);
  }
}

/**
 * Rendering failed: runaway partial recursion, a Go template's execution error (with its ConfigMap,
 * key, line and column), a rendering budget exceeded, or a Feishu post that is not a JSON/YAML object.
 */
export class TemplateRenderError extends TemplateError {
  constructor(
    readonly templateName: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('TEMPLATE_RENDER', `template "${templateName}": ${detail}`, options);
  }
}
