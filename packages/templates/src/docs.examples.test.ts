import { describe, expect, it } from '@jest/globals';
import { BUILTIN_TEMPLATES } from './builtin.templates.js';
import { renderNotification } from './notification.render.js';
import { createTemplateRegistry } from './template.registry.js';
import { input } from './test-support/render.helpers.js';
import { mixedGroup, pairGroup } from './test-support/fixtures.js';

/** The examples of docs/templates.md, rendered, so the documentation stays true. */
const DOC_TEXTS = {
  'ops.line': '{{#single}}{{#alerts}}{{> nm.default.message}}{{/alerts}}{{/single}}{{#multiple}}{{alertCount}} alerts in {{groupLabels.namespace}}{{/multiple}}',
  'ops.slack':
    '*{{statusText}}* {{groupLabels.alertname}} ({{alertCount}})\n{{#alerts}}\n• {{#truncate}}120:{{message}}{{/truncate}} — {{labels.pod}} since {{startTime}}\n{{/alerts}}\n{{#externalURL}}<{{externalURL}}|Alertmanager>{{/externalURL}}\n',
  'wecom.md': '### {{statusText}} {{groupLabels.alertname}}\n{{#alerts}}\n> {{message}}\n> <font color="comment">{{labels.namespace}}/{{labels.pod}} · {{startTime}}</font>\n{{/alerts}}\n',
  'feishu.post':
    '{"zh_cn":{"title":"{{statusText}} {{groupLabels.alertname}}","content":[\n{{#alerts}}{{^first}},{{/first}}[{"tag":"text","text":"{{#json}}{{> nm.default.message}}{{/json}}"},\n{"tag":"a","text":" source","href":"{{sourceURL}}"}]{{/alerts}}]}}\n',
  'sms.short': '{{statusText}} {{groupLabels.alertname}} x{{alertCount}}: {{#alerts}}{{#first}}{{#truncate}}60:{{message}}{{/truncate}}{{/first}}{{/alerts}}',
  'hook.body':
    '{"source":"notification-manager","receiver":"{{receiver}}","status":"{{status}}",\n "alerts":[{{#alerts}}{{^first}},{{/first}}{"name":"{{labels.alertname}}","message":"{{message}}",\n "since":"{{startsAt}}","labels":{ {{#labelPairs}}{{^first}},{{/first}}"{{name}}":"{{value}}"{{/labelPairs}} }}{{/alerts}}]}\n',
  'mail.body':
    '<h3>{{alertCount}} {{#translate}}alerts{{/translate}} — {{statusText}}</h3>\n<ul>{{#alerts}}<li><b>{{labels.alertname}}</b> {{message}}{{#sourceURL}} (<a href="{{sourceURL}}">source</a>){{/sourceURL}}</li>{{/alerts}}</ul>\n',
  'migrated.text':
    '{{#alerts}}{{> nm.default.message}}{{keepLine}}\n{{#labelPairs}}  {{displayName}}: {{value}}\n{{/labelPairs}}{{#annotationPairs}}  {{displayName}}: {{value}}\n{{/annotationPairs}}\n\n{{/alerts}}',
};

const { registry, problems } = createTemplateRegistry({ globalTexts: [{ source: 'configmap docs/examples', data: DOC_TEXTS }], timeZone: 'Asia/Shanghai' });

function render(channel: Parameters<typeof input>[0], template: string, language?: string, group = pairGroup()) {
  return renderNotification(
    registry,
    input(channel, group.alerts, { groupLabels: group.groupLabels, externalURL: 'http://am:9093', templates: { receiver: { template } }, ...(language ? { language } : {}) }),
  );
}

describe('docs/templates.md examples', () => {
  it('load without problems', () => {
    expect(problems).toEqual([]);
  });

  it('ops.slack', () => {
    expect(render('slack', 'ops.slack').body).toBe(
      [
        '*FIRING* AlertmanagerFailedReload (2)',
        "• Reloading Alertmanager's configuration has failed for kubesphere-monitoring-system/alertmanager-main-2. — alertmanager-main-2 since 2020-04-17 09:16:58 +08:00",
        "• Reloading Alertmanager's configuration has failed for kubesphere-monitoring-system/alertmanager-main-1. — alertmanager-main-1 since 2020-04-17 09:16:28 +08:00",
        '<http://am:9093|Alertmanager>',
      ].join('\n'),
    );
  });

  it('ops.line as an email subject', () => {
    const out = renderNotification(registry, input('email', pairGroup().alerts, { groupLabels: pairGroup().groupLabels, templates: { channelOption: { subjectTemplate: 'ops.line' } } }));
    expect(out.title).toBe('2 alerts in kubesphere-monitoring-system');
  });

  it('wecom.md', () => {
    expect(render('wechat', 'wecom.md', 'zh-cn').body.split('\n').slice(0, 3)).toEqual([
      '### 触发中 AlertmanagerFailedReload',
      "> Reloading Alertmanager's configuration has failed for kubesphere-monitoring-system/alertmanager-main-2.",
      '> <font color="comment">kubesphere-monitoring-system/alertmanager-main-2 · 2020-04-17 09:16:58 +08:00</font>',
    ]);
  });

  it('feishu.post renders a post object', () => {
    const post = JSON.parse(render('feishu', 'feishu.post').body) as { zh_cn: { title: string; content: unknown[][] } };
    expect(post.zh_cn.title).toBe('FIRING AlertmanagerFailedReload');
    expect(post.zh_cn.content).toHaveLength(2);
    expect(post.zh_cn.content[0]?.[1]).toMatchObject({ tag: 'a', href: expect.stringMatching(/^http:\/\/prometheus-k8s-1:9090\/graph/) });
  });

  it('sms.short', () => {
    expect(render('sms', 'sms.short').body).toBe("FIRING AlertmanagerFailedReload x2: Reloading Alertmanager's configuration has failed for kubes…");
  });

  it('hook.body parses as JSON', () => {
    const body = JSON.parse(render('webhook', 'hook.body').body) as { status: string; alerts: { labels: Record<string, string> }[] };
    expect(body.status).toBe('firing');
    expect(body.alerts[1]?.labels.pod).toBe('alertmanager-main-1');
  });

  it('mail.body', () => {
    const out = render('email', 'mail.body', 'zh-cn');
    expect(out.kind).toBe('html');
    expect(out.body.startsWith('<h3>2 告警 — 触发中</h3>\n<ul><li><b>AlertmanagerFailedReload</b>')).toBe(true);
  });

  it('the migrated nm.default.text is the built-in', () => {
    expect(DOC_TEXTS['migrated.text']).toBe(BUILTIN_TEMPLATES['nm.default.text']);
    for (const language of ['English', 'zh-cn']) {
      expect(render('slack', 'migrated.text', language, mixedGroup()).body).toBe(render('slack', 'nm.default.text', language, mixedGroup()).body);
    }
  });

  it('an inline template with {{keepLine}}', () => {
    expect(render('slack', '{{#alerts}}{{> nm.default.message}}{{keepLine}}\n{{/alerts}}').body.split('\n')).toHaveLength(2);
    expect(render('slack', '{{#alerts}}{{> nm.default.message}}\n{{/alerts}}').body.split('\n')).toHaveLength(1);
  });
});
