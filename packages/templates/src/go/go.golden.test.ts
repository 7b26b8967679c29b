import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Channel } from '@nm/contracts';
import { renderNotification, type RenderInput } from '../notification.render.js';
import { createTemplateRegistry, validateReceiverTexts } from '../template.registry.js';
import type { TemplateRefs } from '../template.resolve.js';
import { fixtureGroups, readFixtureText } from '../test-support/fixtures.js';

/**
 * Golden files for Go templates: notification-manager's own template ConfigMap
 * (`notification-manager-template`, key `template`, from the shared fixtures) as the global
 * template, every channel type × language over the fixture groups; then the customised examples
 * of notification-manager's documentation and typical user customisations. Regenerate with
 * `UPDATE_GOLDEN=1 npm test -- go.golden`, review the diff by eye, commit.
 */
const GOLDEN_DIR = new URL('../__golden__/go/', import.meta.url);
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const NOTIFICATION_TIME = new Date('2020-04-17T03:00:00.000Z');
const NM_SOURCE = 'configmap kubesphere-monitoring-system/notification-manager-template';
const nmTemplate = parseYaml(readFixtureText('nm-template.yaml')) as { data: Record<string, string> };

function golden(name: string, actual: string): void {
  const file = new URL(name, GOLDEN_DIR);
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual);
  }
  if (!existsSync(file)) throw new Error(`missing golden ${file.pathname}; run UPDATE_GOLDEN=1 npm test -- go.golden`);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

interface Variant {
  readonly id: string;
  readonly channel: Channel;
  readonly tmplType?: string;
  readonly receiver?: TemplateRefs;
  readonly receiverTexts?: Record<string, string>;
}

function postLines(body: string): string {
  const post = JSON.parse(body) as Record<string, { content: unknown[] }>;
  return Object.entries(post)
    .flatMap(([locale, { content }]) => [`${locale}.content:`, ...content.map((p) => JSON.stringify(p))])
    .join('\n');
}

function renderGroups(registry: ReturnType<typeof createTemplateRegistry>['registry'], variant: Variant, language: string): string {
  const sections: string[] = [];
  for (const group of fixtureGroups()) {
    const input: RenderInput = {
      channel: variant.channel,
      ...(variant.tmplType === undefined ? {} : { tmplType: variant.tmplType }),
      alerts: group.alerts,
      groupLabels: group.groupLabels,
      groupKey: `{}:${group.name}`,
      receiver: { name: 'golden-receiver', tenant: 'kube-system' },
      ...(group.externalURL === undefined ? {} : { externalURL: group.externalURL }),
      templates: { receiver: variant.receiver ?? {} },
      ...(variant.receiverTexts === undefined ? {} : { receiverTexts: variant.receiverTexts, receiverTextsSource: 'configmap kube-system/receiver-templates' }),
      language,
      notificationTime: NOTIFICATION_TIME,
    };
    const out = renderNotification(registry, input);
    const body = out.kind === 'post-json' ? postLines(out.body) : out.body;
    sections.push(`## ${group.name} (template ${out.template}, kind ${out.kind})`, ...(out.title === undefined ? [] : ['### title', out.title]), '### body', body, '');
  }
  return sections.join('\n');
}

describe("notification-manager's built-in Go templates (notification-manager-template)", () => {
  const { registry, problems } = createTemplateRegistry({ globalTexts: [{ source: NM_SOURCE, data: nmTemplate.data }], timeZone: 'Asia/Shanghai' });

  it('load without problems, every built-in name defined in Go', () => {
    expect(problems).toEqual([]);
    for (const name of ['nm.default.message', 'nm.default.message.cn', 'nm.default.subject', 'nm.subject', 'nm.default.text', 'nm.default.markdown', 'nm.feishu.message', 'nm.feishu.post', 'nm.feishu.text', 'nm.default.html', 'nm.html']) {
      expect(registry.resolve(name)).toMatchObject({ engine: 'go', source: NM_SOURCE });
    }
  });

  const VARIANTS: readonly Variant[] = [
    { id: 'email-html', channel: 'email' },
    { id: 'email-text', channel: 'email', tmplType: 'text' },
    { id: 'email-nm-html', channel: 'email', receiver: { template: 'nm.html', subjectTemplate: 'nm.subject' } },
    { id: 'wechat-text', channel: 'wechat' },
    { id: 'wechat-markdown', channel: 'wechat', tmplType: 'markdown' },
    { id: 'dingtalk-markdown', channel: 'dingtalk', tmplType: 'markdown' },
    { id: 'feishu-post', channel: 'feishu' },
    { id: 'feishu-text', channel: 'feishu', tmplType: 'text' },
    { id: 'slack', channel: 'slack' },
    { id: 'pushover', channel: 'pushover' },
    { id: 'slack-message-cn', channel: 'slack', receiver: { template: '{{ range .Alerts }}{{ template "nm.default.message.cn" . }}\n{{ end }}' } },
  ];
  for (const variant of VARIANTS) {
    for (const language of ['English', 'zh-cn']) {
      it(`${variant.id} in ${language}`, () => {
        golden(`nm-template.${variant.id}.${language}.golden`, renderGroups(registry, variant, language));
      });
    }
  }

  it('gives the same text as the mustache built-ins for nm.default.text and nm.default.markdown', () => {
    const { registry: builtin } = createTemplateRegistry({ timeZone: 'Asia/Shanghai' });
    for (const language of ['English', 'zh-cn']) {
      for (const v of [{ id: 't', channel: 'slack' }, { id: 'm', channel: 'wechat', tmplType: 'markdown' }] as const) {
        expect(renderGroups(registry, v, language)).toBe(renderGroups(builtin, v, language));
      }
    }
  });
});

/** The customised templates of notification-manager's docs/template.md, and typical user customisations. */
const DOC_EXAMPLES: Record<string, string> = {
  // docs/template.md, "How to use template".
  'docs-example': `{{ define "nm.default.text" }}{{ range .Alerts }}{{ template "nm.default.message" . }}
{{ range .Labels.SortedPairs }}  {{ .Name | translate }}: {{ .Value }}
{{ end }}
{{ end }}{{- end }}`,
  // docs/template.md, "Multilingual support": translate in a template.
  'docs-translate': `{{ define "ops.status" }}{{ .Status | translate }}{{ end }}`,
  // A receiver's own message line, used by every built-in layout.
  'message-override': `{{ define "nm.default.message" }}{{ if eq .Status "firing" }}🔥{{ else }}✅{{ end }} [{{ .Labels.severity | toUpper }}] {{ .Labels.alertname }}: {{ . | message }}{{ end }}`,
  // A short subject with printf, variables and else-if chains.
  subject: `{{ define "ops.subject" -}}
{{- $firing := len .Alerts.Firing -}}
{{- $resolved := len .Alerts.Resolved -}}
{{- if and (gt $firing 0) (gt $resolved 0) -}}
  {{ printf "[%d firing, %d resolved]" $firing $resolved }}
{{- else if gt $firing 0 -}}
  {{ printf "[%d firing]" $firing }}
{{- else -}}
  [resolved]
{{- end }} {{ with .CommonLabels.namespace }}{{ . }}/{{ end }}{{ index .GroupLabels "alertname" }}
{{- end }}`,
  // A Slack message: times in the configured zone, regex clean-up, links.
  slack: `{{ define "ops.slack" }}*{{ .Status | default }}*
{{ range $i, $a := .Alerts -}}
{{ add1 $i }}. {{ $a.Labels.alertname }} on {{ or $a.Labels.pod $a.Labels.instance "?" }} since {{ $a.StartsAt.Local.Format "2006-01-02 15:04" }}
   {{ reReplaceAll "\\\\s+in (namespace|pod) \\\\S+" "" ($a | message) }}
{{ end }}{{ end }}`,
  // A webhook body: JSON built with escape.
  'webhook-json': `{{ define "ops.webhook" }}{"status":"{{ .Status }}","count":{{ len .Alerts }},"alerts":[
{{- range $i, $a := .Alerts }}{{ if $i }},{{ end }}{"name":"{{ $a.Labels.alertname | escape }}","message":"{{ $a | message | escape }}","labels":{
{{- range $j, $p := $a.Labels.SortedPairs }}{{ if $j }},{{ end }}"{{ $p.Name | escape }}":"{{ $p.Value | escape }}"{{ end }}}}
{{- end }}]}{{ end }}`,
  // A Feishu post with a title per status.
  'feishu-post': `{{ define "ops.feishu" }}{"zh_cn":{"title":"{{ if eq .Status "resolved" }}已解决{{ else }}告警{{ end }} {{ .GroupLabels.alertname }}","content":[
{{- range $i, $a := .Alerts }}{{ if $i }},{{ end }}[{"tag":"text","text":"{{ template "nm.feishu.message" $a }}"}]{{ end }}]}}{{ end }}`,
};

describe('customised Go templates', () => {
  // `default` and `add1` are sprig functions notification-manager does not have: the slack
  // example uses them on purpose, to show how an unsupported function is reported.
  const slackFixed = DOC_EXAMPLES['slack']!.replace('{{ .Status | default }}', '{{ .Status }}').replace('{{ add1 $i }}', '{{ $i }}');

  it('an unsupported function fails at config time with ConfigMap, key, line and column', () => {
    const { registry } = createTemplateRegistry({ globalTexts: [{ source: NM_SOURCE, data: nmTemplate.data }] });
    const problems = validateReceiverTexts(registry, { source: 'configmap ops/templates', data: { slack: DOC_EXAMPLES['slack']! } });
    expect(problems).toMatchObject([
      { severity: 'error', code: 'GO_TEMPLATE', key: 'slack', line: 1, message: expect.stringMatching(/^configmap ops\/templates key "slack" line 1 col 39: Go template: function "default" not defined/) },
    ]);
    expect(validateReceiverTexts(registry, { source: 'configmap ops/templates', data: { slack: slackFixed.replace('{{ $i }}', '{{ add1 $i }}') } })[0]?.message).toMatch(
      /key "slack" line 3 col 4: Go template: function "add1" not defined/,
    );
  });

  const cases: { id: string; channel: Channel; tmplType?: string; receiver: TemplateRefs; texts: Record<string, string>; global: boolean }[] = [
    { id: 'docs-example-over-nm', channel: 'wechat', receiver: { template: 'nm.default.text' }, texts: { t: DOC_EXAMPLES['docs-example']! }, global: true },
    { id: 'docs-example-over-builtins', channel: 'wechat', receiver: { template: 'nm.default.text' }, texts: { t: DOC_EXAMPLES['docs-example']! }, global: false },
    { id: 'docs-translate', channel: 'slack', receiver: { template: 'ops.status' }, texts: { t: DOC_EXAMPLES['docs-translate']! }, global: true },
    { id: 'message-override-nm-text', channel: 'slack', receiver: {}, texts: { t: DOC_EXAMPLES['message-override']! }, global: true },
    { id: 'message-override-builtin-mustache', channel: 'dingtalk', tmplType: 'markdown', receiver: {}, texts: { t: DOC_EXAMPLES['message-override']! }, global: false },
    { id: 'subject', channel: 'email', receiver: { subjectTemplate: 'ops.subject' }, texts: { t: DOC_EXAMPLES['subject']! }, global: true },
    { id: 'slack', channel: 'slack', receiver: { template: 'ops.slack' }, texts: { t: slackFixed }, global: true },
    { id: 'webhook-json', channel: 'webhook', receiver: { template: 'ops.webhook' }, texts: { t: DOC_EXAMPLES['webhook-json']! }, global: true },
    { id: 'feishu-post', channel: 'feishu', receiver: { template: 'ops.feishu' }, texts: { t: DOC_EXAMPLES['feishu-post']! }, global: true },
  ];

  for (const c of cases) {
    for (const language of ['English', 'zh-cn']) {
      it(`${c.id} in ${language}`, () => {
        const { registry } = createTemplateRegistry({ globalTexts: c.global ? [{ source: NM_SOURCE, data: nmTemplate.data }] : [], timeZone: 'Asia/Shanghai' });
        expect(validateReceiverTexts(registry, { source: 'configmap kube-system/receiver-templates', data: c.texts }).filter((p) => p.severity === 'error')).toEqual([]);
        const variant: Variant = { id: c.id, channel: c.channel, ...(c.tmplType === undefined ? {} : { tmplType: c.tmplType }), receiver: c.receiver, receiverTexts: c.texts };
        const rendered = renderGroups(registry, variant, language);
        if (c.channel === 'webhook') for (const body of rendered.split('### body\n').slice(1)) JSON.parse(body.split('\n## ')[0]!);
        golden(`custom.${c.id}.${language}.golden`, rendered);
      });
    }
  }
});
