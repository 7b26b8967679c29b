import { describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { renderNotification } from './notification.render.js';
import { createTemplateRegistry, validateReceiverTexts } from './template.registry.js';
import { alert, input } from './test-support/render.helpers.js';
import { readFixtureText } from './test-support/fixtures.js';

const NM_GO_TEMPLATE = `{{ define "nm.default.message" }}{{ if ne (len .Status) 0 }}[{{ .Status | translate }}] {{ end }}{{ . | message }}{{ end }}
{{ define "nm.default.text" }}{{ range .Alerts }}{{ template "nm.default.message" . }}{{ end }}{{- end }}`;

describe('global template ConfigMaps', () => {
  it("accepts notification-manager's Go template text: its definitions become template names", () => {
    const { registry, problems } = createTemplateRegistry({
      globalTexts: [{ source: 'configmap kubesphere-monitoring-system/notification-manager-template', data: { template: `\n${NM_GO_TEMPLATE}`, ok: '{{status}}' } }],
    });
    expect(problems).toEqual([]);
    expect(registry.has('template')).toBe(false);
    expect(registry.resolve('nm.default.text')).toMatchObject({ engine: 'go', source: 'configmap kubesphere-monitoring-system/notification-manager-template' });
    expect(registry.text('nm.default.text')).toBeUndefined();
    expect(registry.has('ok')).toBe(true);
    expect(registry.names()).toContain('nm.default.message');
  });

  it('rejects a Go template that does not parse, naming ConfigMap, key, line and column, and leaves its key out', () => {
    const { registry, problems } = createTemplateRegistry({
      globalTexts: [{ source: 'configmap ns/t', data: { template: '{{ define "a" }}ok{{ end }}\n{{ define "b" }}{{ .Value | humanize }}{{ end }}', ok: '{{status}}' } }],
    });
    expect(problems).toEqual([
      {
        severity: 'error',
        code: 'GO_TEMPLATE',
        source: 'configmap ns/t',
        key: 'template',
        line: 2,
        message:
          'configmap ns/t key "template" line 2 col 29: Go template: function "humanize" not defined ' +
          "(the functions are notification-manager's and Go's built-ins, see docs/templates.md#go-templates)",
      },
    ]);
    expect(registry.has('a')).toBe(false);
    expect(registry.has('ok')).toBe(true);
  });

  it.each([
    ['{{ range .Alerts }}x{{ end }}'],
    ['{{ .Status }}'],
    ['a\nb {{- "x" -}}'],
    ['{{ $s := "x" }}'],
    ['{{ toUpper .Status }}'],
    ['{{ "x" | translate }}'],
    ['{{ if eq .Status "firing" }}y{{ end }}'],
  ])('takes %j as a Go template named after its key', (text) => {
    const { registry, problems } = createTemplateRegistry({ globalTexts: [{ source: 's', data: { k: text } }] });
    expect(problems).toEqual([]);
    expect(registry.resolve('k')?.engine).toBe('go');
  });

  it.each(['{{.}}', '{{ . }}', '{{#alerts}}{{.}}{{/alerts}}', '{{{ labels.x }}}', '{{! a comment }}', '{{^ isMixed }}x{{/ isMixed }}', '{{&value}}'])(
    'accepts mustache %j',
    (text) => {
      expect(createTemplateRegistry({ globalTexts: [{ source: 's', data: { k: text } }] }).problems).toEqual([]);
    },
  );

  it('reports a parse error with source, key and line', () => {
    const { registry, problems } = createTemplateRegistry({
      globalTexts: [{ source: 'configmap ns/tmpl', data: { broken: 'line one\n{{#alerts}}\n{{labels.x}}\n{{/alert}}' } }],
    });
    expect(problems).toEqual([
      {
        severity: 'error',
        code: 'TEMPLATE_PARSE',
        source: 'configmap ns/tmpl',
        key: 'broken',
        line: 4,
        message: 'configmap ns/tmpl key "broken" line 4: {{/alert}} does not close the open section {{#alerts}}',
      },
    ]);
    expect(registry.has('broken')).toBe(false);
  });

  it('reports an unclosed tag on its line', () => {
    const { problems } = createTemplateRegistry({ globalTexts: [{ source: 'configmap ns/t', data: { k: 'a\nb\nc {{status' } }] });
    expect(problems[0]).toMatchObject({ line: 3, message: 'configmap ns/t key "k" line 3: a tag is opened with {{ but never closed with }}' });
  });

  it('warns about includes of templates nobody defines, but keeps the key', () => {
    const { registry, problems } = createTemplateRegistry({ globalTexts: [{ source: 'configmap ns/t', data: { k: 'x\n{{> nowhere}}' } }] });
    expect(problems).toEqual([
      {
        severity: 'warning',
        code: 'UNKNOWN_PARTIAL',
        source: 'configmap ns/t',
        key: 'k',
        line: 2,
        message: 'configmap ns/t key "k": {{> nowhere}} includes a template that does not exist (it renders as nothing)',
      },
    ]);
    expect(registry.has('k')).toBe(true);
  });

  it('rejects include cycles, also through built-ins a global key overrides', () => {
    const { registry, problems } = createTemplateRegistry({
      globalTexts: [{ source: 'configmap ns/t', data: { a: '{{> b}}', b: '{{> a}}', 'nm.default.message': '{{> nm.default.text}}' } }],
    });
    expect(problems.map((p) => [p.code, p.key]).sort()).toEqual([
      ['PARTIAL_CYCLE', 'a'],
      ['PARTIAL_CYCLE', 'b'],
      ['PARTIAL_CYCLE', 'nm.default.message'],
    ]);
    expect(registry.has('a')).toBe(false);
    expect(registry.text('nm.default.message')).toBe('[{{statusText}}] {{message}}');
  });

  it('takes the later ConfigMap for a key defined twice, and overrides a built-in for everyone', () => {
    const { registry } = createTemplateRegistry({
      globalTexts: [
        { source: 'configmap ns/a', data: { k: 'first', 'nm.default.message': '* {{message}}' } },
        { source: 'configmap ns/b', data: { k: 'second' } },
      ],
    });
    expect(registry.text('k')).toBe('second');
    expect(renderNotification(registry, input('slack', [alert({ alertname: 'A' }, { message: 'm' })])).body).toBe('* m\n  alertname: A');
  });

  it('lists built-ins, markers and global names', () => {
    const { registry } = createTemplateRegistry({ globalTexts: [{ source: 's', data: { mine: 'x' } }] });
    expect(registry.names()).toEqual([
      'mine',
      'nm.default.history',
      'nm.default.html',
      'nm.default.markdown',
      'nm.default.message',
      'nm.default.message.cn',
      'nm.default.subject',
      'nm.default.text',
      'nm.feishu.post',
      'nm.feishu.text',
      'nm.html',
      'nm.subject',
      'webhook.default.message',
    ]);
  });
});

describe('receiver tmplText validation', () => {
  const { registry } = createTemplateRegistry({ globalTexts: [{ source: 'configmap ns/g', data: { shared: '{{> mine}}' } }] });

  it('accepts includes of built-in and global templates', () => {
    expect(validateReceiverTexts(registry, { source: 'configmap ns/r', data: { mine: '{{> nm.default.message}}' } })).toEqual([]);
  });
  it('finds cycles through global templates', () => {
    const problems = validateReceiverTexts(registry, { source: 'configmap ns/r', data: { mine: '{{> shared}}' } });
    expect(problems).toEqual([
      {
        severity: 'error',
        code: 'PARTIAL_CYCLE',
        source: 'configmap ns/r',
        key: 'mine',
        message: 'configmap ns/r key "mine": templates include each other in a cycle (mine > shared > mine)',
      },
    ]);
  });
  it('warns about unknown includes and template calls, and rejects Go templates that do not parse', () => {
    const problems = validateReceiverTexts(registry, {
      source: 'configmap ns/r',
      data: { a: '{{> nope}}', b: '{{ .Alerts }', c: '{{ define "c1" }}\n  {{ template "nowhere" . }}{{ end }}', d: '{{ template "nm.default.text" . }}' },
    });
    expect(problems.map((p) => [p.severity, p.code, p.key, p.line])).toEqual([
      ['error', 'GO_TEMPLATE', 'b', 1],
      ['warning', 'UNKNOWN_PARTIAL', 'a', 1],
      ['warning', 'UNKNOWN_TEMPLATE', 'c', 2],
    ]);
    expect(problems[2]?.message).toBe('configmap ns/r key "c" line 2 col 3: {{ template "nowhere" }} invokes a template that is not defined (rendering it fails)');
  });
});

describe('language packs', () => {
  const zhCnConfigMap = parseYaml(readFixtureText('zh-cn.yaml')) as { data: Record<string, string> };

  it("loads notification-manager's zh-cn ConfigMap without problems", () => {
    const { registry, problems } = createTemplateRegistry({ languagePacks: [{ source: 'configmap kubesphere-monitoring-system/zh-cn', data: zhCnConfigMap.data }], defaultLanguage: 'zh-cn' });
    expect(problems).toEqual([]);
    const zh = registry.language('zh-cn');
    expect(zh.dictionary.get('requestreceivedtimestamp')).toBe('请求接收时间');
    expect(zh.dictionary.get('reason')).toBe('原因');
  });

  it('adds a language, lower-cases its keys and overrides built-in words', () => {
    const pack = `- name: fr\n  dictionary:\n    Firing: "EN COURS"\n    NameSpace: "espace de noms"\n- name: zh-cn\n  dictionary:\n    namespace: "命名空间"`;
    const { registry, problems } = createTemplateRegistry({ languagePacks: [{ source: 'configmap ns/packs', data: { packs: pack } }] });
    expect(problems).toEqual([]);
    expect(registry.languages().sort()).toEqual(['English', 'fr', 'zh-cn']);
    const alerts = [alert({ alertname: 'A', namespace: 'n' }, { message: 'm' })];
    expect(renderNotification(registry, input('slack', alerts, { language: 'fr' })).body).toBe('[EN COURS] m\n  alertname: A\n  espace de noms: n');
    expect(renderNotification(registry, input('slack', alerts, { language: 'zh-cn' })).body).toBe('[触发中] m\n  告警名称: A\n  命名空间: n');
  });

  it('keeps English fixed and says so', () => {
    const pack = '- name: English\n  dictionary:\n    firing: burning\n    namespace: NS';
    const { registry, problems } = createTemplateRegistry({ languagePacks: [{ source: 'configmap ns/en', data: { en: pack } }] });
    expect(problems).toEqual([
      {
        severity: 'warning',
        code: 'ENGLISH_PACK_IGNORED',
        source: 'configmap ns/en',
        key: 'en',
        message: 'the English dictionary is fixed ({firing: FIRING, resolved: RESOLVED}); this pack entry is ignored',
      },
    ]);
    expect([...registry.language('English').dictionary]).toEqual([
      ['firing', 'FIRING'],
      ['resolved', 'RESOLVED'],
    ]);
  });

  it('reports a pack that is not valid YAML with its line, and one of the wrong shape', () => {
    const { problems } = createTemplateRegistry({
      languagePacks: [{ source: 'configmap ns/bad', data: { yaml: '- name: x\n  dictionary: {a: [1, 2}\n', shape: 'name: x', noname: '- dictionary: {a: b}' } }],
    });
    expect(problems.map((p) => [p.key, p.line, p.message.split(':')[0]])).toEqual([
      ['yaml', 2, 'not valid YAML'],
      ['shape', undefined, 'a language pack is a YAML list of {name, dictionary}'],
      ['noname', undefined, 'item 0 has no name'],
    ]);
  });

  it('reports translations that are not text, and keeps the others', () => {
    const pack = '- name: de\n  dictionary:\n    firing: AKTIV\n    count: 3\n    nested: {a: b}';
    const { registry, problems } = createTemplateRegistry({ languagePacks: [{ source: 'configmap ns/de', data: { de: pack } }] });
    expect(problems.map((p) => p.message)).toEqual(['language "de": the translation of "nested" is not text']);
    expect([...registry.language('de').dictionary]).toEqual([
      ['firing', 'AKTIV'],
      ['count', '3'],
    ]);
  });

  it('warns about a default language without a dictionary, and rejects a bad time zone', () => {
    const { registry, problems } = createTemplateRegistry({ defaultLanguage: 'klingon', timeZone: 'Mars/Olympus' });
    expect(problems.map((p) => [p.severity, p.code])).toEqual([
      ['warning', 'UNKNOWN_LANGUAGE'],
      ['error', 'INVALID_TIME_ZONE'],
    ]);
    expect(registry.timeZone).toBe('UTC');
    expect(registry.defaultLanguage).toBe('klingon');
  });
});
