/**
 * Recognises text written for notification-manager's Go templates (`{{ define "x" }}`,
 * `{{ range .Alerts }}`, `{{ .Status | translate }}`, `{{- … -}}`), which mustache would otherwise
 * accept silently and render as empty strings.
 */
const GO_PATTERNS: readonly RegExp[] = [
  /\{\{-?\s*(?:define|range|template|block|with|if)\s/,
  /\{\{-?\s*(?:else|end)\s*-?\}\}/,
  /\{\{-?\s*else\s+if\s/,
  /\{\{-?\s*\.[A-Za-z_]/,
  /\{\{-?\s*\$[A-Za-z_]*\s*:?=/,
  /\{\{-?\s*\$[A-Za-z_.]*\s*\}\}/,
  /\{\{-\s/,
  /\s-\}\}/,
  /\{\{[^}]*\|\s*(?:translate|toUpper|toLower|title|join|safeHtml|escape|message|len|reReplaceAll|printf)\b/,
  /\{\{-?\s*(?:len|index|printf|toUpper|toLower|title|join|safeHtml|escape|message|reReplaceAll|stringSlice|match|translate|not|and|or|eq|ne|gt|lt|ge|le)\s+[."$(]/,
];

export interface GoConstruct {
  /** 1-based line of the first Go construct. */
  readonly line: number;
  /** The matched text, for the error message. */
  readonly construct: string;
}

export function detectGoTemplate(text: string): GoConstruct | undefined {
  let best: { index: number; match: string } | undefined;
  for (const re of GO_PATTERNS) {
    const m = re.exec(text);
    if (m !== null && (best === undefined || m.index < best.index)) best = { index: m.index, match: m[0] };
  }
  if (best === undefined) return undefined;
  return { line: lineAt(text, best.index), construct: best.match.trim() };
}

/** 1-based line number of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * A template field in notification-manager's inline form, `{{ template "name" . }}`: returns the
 * name, so manifests written for notification-manager keep working.
 */
export function goTemplateReference(value: string): string | undefined {
  const m = /^\{\{template"([^"]+)"\.\}\}$/.exec(value.replace(/\s+/g, ''));
  return m?.[1];
}
