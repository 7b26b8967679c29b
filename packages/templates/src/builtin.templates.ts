/**
 * The built-in templates, under notification-manager's names and with its output shape (§5.1).
 * They are mustache texts over the view model (see view.model.ts and docs/templates.md) and
 * include each other as partials, so a ConfigMap that redefines `nm.default.message` changes the
 * message line of every built-in that uses it.
 */

/** Names that are not templates but ask for the webhook JSON body (Alertmanager v4 shape). */
export const JSON_MARKERS = ['webhook.default.message', 'nm.default.history'] as const;

export function isJsonMarker(name: string): boolean {
  return (JSON_MARKERS as readonly string[]).includes(name);
}

export const BUILTIN_NAMES = {
  message: 'nm.default.message',
  messageCn: 'nm.default.message.cn',
  subject: 'nm.default.subject',
  nmSubject: 'nm.subject',
  text: 'nm.default.text',
  markdown: 'nm.default.markdown',
  html: 'nm.default.html',
  nmHtml: 'nm.html',
  feishuPost: 'nm.feishu.post',
  feishuText: 'nm.feishu.text',
  webhook: 'webhook.default.message',
  history: 'nm.default.history',
} as const;

/** One alert's line: `[<translated status>] <message>` (alert context). */
const MESSAGE = '[{{statusText}}] {{message}}';

/** Same, always with the Chinese-first message. */
const MESSAGE_CN = '[{{statusText}}] {{messageCn}}';

/**
 * One alert: its message line. Several: `<N> <status> alerts for <name>=<value> …` with the
 * group label names translated; the status word is left out when the group is mixed.
 */
const SUBJECT =
  '{{#single}}{{#alerts}}{{> nm.default.message}}{{/alerts}}{{/single}}' +
  '{{^single}}{{alertCount}} {{^isMixed}}{{status}} {{/isMixed}}alerts' +
  '{{#groupLabelPairs.length}} for {{#groupLabelPairs}}{{displayName}}={{value}} {{/groupLabelPairs}}{{/groupLabelPairs.length}}{{/single}}';

/**
 * `[STATUS] | severity=… | alerttype=… | alertname=… | cluster=…` then node, namespace and pod of
 * the single alert, or namespace and node from the group labels when there are several.
 */
const NM_SUBJECT =
  '[{{statusText}}]{{#commonLabels.severity}} | severity={{.}}{{/commonLabels.severity}}' +
  '{{#single}}{{#alerts}}' +
  '{{#labels.alerttype}} | alerttype={{.}}{{/labels.alerttype}}' +
  '{{#labels.alertname}} | alertname={{.}}{{/labels.alertname}}' +
  '{{#labels.cluster}} | cluster={{.}}{{/labels.cluster}}' +
  '{{#labels.node}} | node={{.}}{{/labels.node}}' +
  '{{#labels.namespace}} | namespace={{.}}{{/labels.namespace}}' +
  '{{#labels.pod}} | pod={{.}}{{/labels.pod}}' +
  '{{/alerts}}{{/single}}' +
  '{{^single}}' +
  '{{#groupLabels.alerttype}} | alerttype={{.}}{{/groupLabels.alerttype}}' +
  '{{#groupLabels.alertname}} | alertname={{.}}{{/groupLabels.alertname}}' +
  '{{#groupLabels.cluster}} | cluster={{.}}{{/groupLabels.cluster}}' +
  '{{#groupLabels.namespace}} | namespace={{.}}{{/groupLabels.namespace}}' +
  '{{#groupLabels.node}} | node={{.}}{{/groupLabels.node}}' +
  '{{/single}}';

/**
 * Per alert: the message line, `  <label>: <value>` lines, the visible annotations, a blank line.
 * mustache.js drops the line break of a line holding only section and partial tags, hence the
 * empty `{{keepLine}}` after the message.
 */
const TEXT = `{{#alerts}}{{> nm.default.message}}{{keepLine}}
{{#labelPairs}}  {{displayName}}: {{value}}
{{/labelPairs}}{{#annotationPairs}}  {{displayName}}: {{value}}
{{/annotationPairs}}

{{/alerts}}`;

/** The text layout with a `### ` heading per alert and `- ` bullets. */
const MARKDOWN = `{{#alerts}}### {{> nm.default.message}}
{{#labelPairs}}- {{displayName}}: {{value}}
{{/labelPairs}}{{#annotationPairs}}- {{displayName}}: {{value}}
{{/annotationPairs}}

{{/alerts}}`;

/** Feishu text: the same layout as nm.default.text. */
const FEISHU_TEXT = TEXT;

/**
 * Feishu post content (`en_us` locale): one paragraph per line, a blank paragraph between alerts.
 * Rendered with JSON escaping; the included message line goes through `json` so a redefined
 * nm.default.message cannot break the JSON either.
 */
const FEISHU_POST =
  '{"en_us":{"content":[{{#alerts}}{{^first}},{{/first}}' +
  '[{"tag":"text","text":"{{#json}}{{> nm.default.message}}{{/json}}"}]' +
  '{{#labelPairs}},[{"tag":"text","text":"  {{displayName}}: {{value}}"}]{{/labelPairs}}' +
  '{{#annotationPairs}},[{"tag":"text","text":"  {{displayName}}: {{value}}"}]{{/annotationPairs}}' +
  ',[{"tag":"text","text":" "}]{{/alerts}}]}}';

const FONT = "font-family: 'Helvetica Neue', Helvetica, Arial, sans-serif; font-size: 14px;";

/** HTML email: a white card listing, per alert, the message line, its labels and annotations. */
const HTML = `<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta name="viewport" content="width=device-width" />
</head>
<body style="${FONT} margin: 0; padding: 0; background-color: #f6f6f6; line-height: 1.6em;">
<table width="100%" cellpadding="0" cellspacing="0" style="${FONT} background-color: #f6f6f6;" bgcolor="#f6f6f6">
<tr>
<td></td>
<td width="600" style="${FONT} max-width: 600px; margin: 0 auto; padding: 20px 0;">
<table width="100%" cellpadding="0" cellspacing="0" style="${FONT} background-color: #fff; border: 1px solid #e9e9e9; border-radius: 3px;" bgcolor="#fff">
{{#alerts}}
<tr>
<td style="${FONT} vertical-align: top; padding: 10px 10px 20px;" valign="top">
<strong>{{> nm.default.message}}</strong><br />
{{#labelPairs}}
&nbsp;&nbsp;{{displayName}}: {{value}}<br />
{{/labelPairs}}
{{#annotationPairs}}
&nbsp;&nbsp;{{displayName}}: {{value}}<br />
{{/annotationPairs}}
</td>
</tr>
{{/alerts}}
</table>
</td>
<td></td>
</tr>
</table>
</body>
</html>`;

const HTML_ALERT = `<tr>
<td style="${FONT} vertical-align: top; padding: 0 0 20px;" valign="top">
<strong>Labels</strong><br />
{{#labelPairs}}
{{name}} = {{value}}<br />
{{/labelPairs}}
{{#allAnnotationPairs.length}}
<strong>Annotations</strong><br />
{{/allAnnotationPairs.length}}
{{#allAnnotationPairs}}
{{name}} = {{value}}<br />
{{/allAnnotationPairs}}
{{#sourceURL}}
<a href="{{sourceURL}}" style="${FONT} color: #348eda;">Source</a><br />
{{/sourceURL}}
</td>
</tr>`;

/** Alertmanager-style HTML email: a coloured header, then the firing and the resolved alerts. */
const NM_HTML = `<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta name="viewport" content="width=device-width" />
<title>{{> nm.subject}}</title>
</head>
<body style="${FONT} margin: 0; padding: 0; background-color: #f6f6f6; line-height: 1.6em;">
<table width="100%" cellpadding="0" cellspacing="0" style="${FONT} background-color: #f6f6f6;" bgcolor="#f6f6f6">
<tr>
<td></td>
<td width="600" style="${FONT} max-width: 600px; margin: 0 auto; padding: 20px 0;">
<table width="100%" cellpadding="0" cellspacing="0" style="${FONT} background-color: #fff; border: 1px solid #e9e9e9; border-radius: 3px;" bgcolor="#fff">
<tr>
<td style="${FONT} font-size: 16px; color: #fff; font-weight: 500; text-align: center; border-radius: 3px 3px 0 0; background-color: {{#isResolved}}#68B90F{{/isResolved}}{{^isResolved}}#E6522C{{/isResolved}}; padding: 20px;" align="center">
{{alertCount}} alert{{#multiple}}s{{/multiple}}{{#groupLabelPairs.length}} for {{#groupLabelPairs}}{{name}}={{value}} {{/groupLabelPairs}}{{/groupLabelPairs.length}}
</td>
</tr>
<tr>
<td style="${FONT} vertical-align: top; padding: 10px;" valign="top">
<table width="100%" cellpadding="0" cellspacing="0">
{{#firingCount}}
<tr>
<td style="${FONT} vertical-align: top; padding: 0 0 20px;" valign="top"><strong>[{{firingCount}}] Firing</strong></td>
</tr>
{{/firingCount}}
{{#firingAlerts}}
${HTML_ALERT}
{{/firingAlerts}}
{{#resolvedCount}}
{{#firingCount}}
<tr>
<td style="${FONT} vertical-align: top; padding: 0 0 20px;" valign="top"><hr /></td>
</tr>
{{/firingCount}}
<tr>
<td style="${FONT} vertical-align: top; padding: 0 0 20px;" valign="top"><strong>[{{resolvedCount}}] Resolved</strong></td>
</tr>
{{/resolvedCount}}
{{#resolvedAlerts}}
${HTML_ALERT}
{{/resolvedAlerts}}
</table>
</td>
</tr>
</table>
</td>
<td></td>
</tr>
</table>
</body>
</html>`;

/** Every built-in template by name (the JSON markers are not templates and are not listed). */
export const BUILTIN_TEMPLATES: Readonly<Record<string, string>> = Object.freeze({
  [BUILTIN_NAMES.message]: MESSAGE,
  [BUILTIN_NAMES.messageCn]: MESSAGE_CN,
  [BUILTIN_NAMES.subject]: SUBJECT,
  [BUILTIN_NAMES.nmSubject]: NM_SUBJECT,
  [BUILTIN_NAMES.text]: TEXT,
  [BUILTIN_NAMES.markdown]: MARKDOWN,
  [BUILTIN_NAMES.html]: HTML,
  [BUILTIN_NAMES.nmHtml]: NM_HTML,
  [BUILTIN_NAMES.feishuPost]: FEISHU_POST,
  [BUILTIN_NAMES.feishuText]: FEISHU_TEXT,
});

export function builtinTemplate(name: string): string | undefined {
  return Object.hasOwn(BUILTIN_TEMPLATES, name) ? BUILTIN_TEMPLATES[name] : undefined;
}
