import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { GoTemplateError, TemplateParseError, TemplateRenderError } from './errors.js';
import { renderNotification } from './notification.render.js';
import { createTemplateRegistry } from './template.registry.js';
import { webhookBody } from './webhook.body.js';
import { alert, FIXED_TIME, input } from './test-support/render.helpers.js';

const { registry } = createTemplateRegistry();

const HOSTILE = '<script>alert("x")</script>&"\'</td>';

describe('Alertmanager template names', () => {
  it('renders the stable core a user of either system expects', () => {
    const a1 = alert({ alertname: 'DiskFull', namespace: 'prod', severity: 'critical' }, { message: 'disk is full' });
    const a2 = alert({ alertname: 'DiskFull', namespace: 'prod', severity: 'critical', pod: 'p2' }, { message: 'disk again' }, { status: 'resolved', endsAt: '2024-07-01T13:00:00Z' });
    const template =
      '{{status}}|{{#alerts}}{{labels.alertname}} {{annotations.message}} {{startsAt}};{{/alerts}}|{{groupLabels.namespace}}|' +
      '{{commonLabels.severity}}|{{externalURL}}|{{receiver}}|{{alerts.length}}|{{#alerts.firing}}F:{{annotations.message}}{{/alerts.firing}}|' +
      '{{#alerts.resolved}}R:{{annotations.message}}{{/alerts.resolved}}';
    const out = renderNotification(registry, input('slack', [a1, a2], { groupLabels: { namespace: 'prod' }, templates: { receiver: { template } } }));
    expect(out.body).toBe(
      'mixed|DiskFull disk is full 2024-07-01T12:00:00Z;DiskFull disk again 2024-07-01T12:00:00Z;|prod|critical|http://alertmanager:9093|r1|2|F:disk is full|R:disk again',
    );
    expect(out).toMatchObject({ kind: 'text', template: 'inline', language: 'English' });
  });

  it('renders a missing label as nothing', () => {
    const out = renderNotification(registry, input('slack', [alert({ alertname: 'A' })], { templates: { receiver: { template: '[{{#alerts}}{{labels.pod}}{{/alerts}}]' } } }));
    expect(out.body).toBe('[]');
  });

  it('trims trailing spaces and line breaks, as notification-manager does', () => {
    const out = renderNotification(registry, input('slack', [alert({ alertname: 'A' })], { templates: { receiver: { template: '  {{receiver}} \n \r\n' } } }));
    expect(out.body).toBe('  r1');
  });
});

describe('custom templates', () => {
  const globalTexts = [{ source: 'configmap ns/global', data: { 'my.line': '<{{labels.alertname}}>', 'my.body': '{{#alerts}}{{> my.line}}{{/alerts}}' } }];
  const { registry: withGlobal, problems } = createTemplateRegistry({ globalTexts });

  it('loads global templates without problems and lets them include each other', () => {
    expect(problems).toEqual([]);
    const out = renderNotification(withGlobal, input('slack', [alert({ alertname: 'A' }), alert({ alertname: 'B' })], { templates: { receiver: { template: 'my.body' } } }));
    expect(out.body).toBe('<A><B>');
  });

  it('overrides a built-in name for one receiver only, including where built-ins include it', () => {
    const alerts = [alert({ alertname: 'A' }, { message: 'm' })];
    const mine = renderNotification(withGlobal, input('slack', alerts, { receiverTexts: { 'nm.default.message': '!! {{message}} !!' } }));
    const other = renderNotification(withGlobal, input('slack', alerts));
    expect(mine.body).toBe('!! m !!\n  alertname: A');
    expect(other.body).toBe('[FIRING] m\n  alertname: A');
  });

  it('lets receiver texts include global ones and override them', () => {
    const alerts = [alert({ alertname: 'A' })];
    const out = renderNotification(withGlobal, input('slack', alerts, { receiverTexts: { 'my.line': '({{labels.alertname}})' }, templates: { receiver: { template: 'my.body' } } }));
    expect(out.body).toBe('(A)');
  });

  it('renders a Go template of a receiver tmplText (its key body is a template named after the key)', () => {
    const out = renderNotification(
      registry,
      input('slack', [alert({ alertname: 'A' }), alert({ alertname: 'B' })], {
        receiverTexts: { mine: 'x\n{{ range .Alerts }}{{ .Labels.alertname }}{{ end }}' },
        receiverTextsSource: 'configmap ns/receiver-tmpl',
        templates: { receiver: { template: 'mine' } },
      }),
    );
    expect(out.body).toBe('x\nAB');
  });

  it('fails every rendering of a receiver whose tmplText holds a Go template that does not parse, naming key, line and column', () => {
    const run = (): unknown =>
      renderNotification(
        registry,
        input('slack', [alert({ alertname: 'A' })], {
          receiverTexts: { mine: 'x\n{{ range .Alerts }}{{ humanize .Labels.alertname }}{{ end }}' },
          receiverTextsSource: 'configmap ns/receiver-tmpl',
        }),
      );
    expect(run).toThrow(GoTemplateError);
    expect(run).toThrow(/^configmap ns\/receiver-tmpl key "mine" line 2 col 23: Go template: function "humanize" not defined/);
  });

  it('rejects an inline template that does not parse', () => {
    const run = (): unknown => renderNotification(registry, input('slack', [alert({ alertname: 'A' })], { templates: { receiver: { template: '{{#alerts}}\n{{labels.x}}' } } }));
    expect(run).toThrow(TemplateParseError);
    expect(run).toThrow('receiver slack template key "inline" line 2: section {{#alerts}} is never closed with {{/alerts}}');
  });

  it('stops partials that include each other without end', () => {
    const run = (): unknown =>
      renderNotification(registry, input('slack', [alert({ alertname: 'A' })], { receiverTexts: { a: 'x{{> b}}', b: 'y{{> a}}' }, templates: { receiver: { template: 'a' } } }));
    expect(run).toThrow(TemplateRenderError);
    expect(run).toThrow('template "a": templates include each other without end');
  });

  it('renders any subset of a notification (a split part gets its own subject)', () => {
    const alerts = [alert({ alertname: 'A' }, { message: 'first' }), alert({ alertname: 'A' }, { message: 'second' })];
    const whole = renderNotification(registry, input('email', alerts, { groupLabels: { alertname: 'A' } }));
    const part = renderNotification(registry, input('email', alerts.slice(1), { groupLabels: { alertname: 'A' } }));
    expect(whole.title).toBe('2 firing alerts for alertname=A');
    expect(part.title).toBe('[FIRING] second');
  });
});

describe('escaping', () => {
  const hostile = [alert({ alertname: 'X', pod: HOSTILE }, { message: HOSTILE, description: HOSTILE })];

  it('escapes alert content in HTML email bodies', () => {
    for (const template of ['nm.default.html', 'nm.html']) {
      const out = renderNotification(registry, input('email', hostile, { templates: { receiver: { template } } }));
      expect(out.kind).toBe('html');
      expect(out.body).not.toContain('<script>');
      expect(out.body).not.toContain('</td>&');
      expect(out.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&quot;&#39;&lt;/td&gt;');
    }
  });

  it('does not escape the email subject or plain-text channels; chat channels escape only their own markup (channel.escaping.test.ts)', () => {
    const email = renderNotification(registry, input('email', hostile));
    expect(email.title).toBe(`[FIRING] ${HOSTILE}`);
    const sms = renderNotification(registry, input('sms', hostile));
    expect(sms.body).toBe(`[FIRING] ${HOSTILE}\n  alertname: X\n  pod: ${HOSTILE}\n  description: ${HOSTILE}`);
    const slackEscaped = HOSTILE.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const slack = renderNotification(registry, input('slack', hostile));
    expect(slack.body).toBe(`[FIRING] ${slackEscaped}\n  alertname: X\n  pod: ${slackEscaped}\n  description: ${slackEscaped}`);
    const md = renderNotification(registry, input('wechat', hostile, { tmplType: 'markdown' }));
    expect(md.body.startsWith(`### [FIRING] ${HOSTILE.replace(/</g, '<\u200b')}\n`)).toBe(true);
  });

  it('keeps the Feishu post valid JSON with hostile values and a multi-line message override', () => {
    const out = renderNotification(registry, input('feishu', hostile, { receiverTexts: { 'nm.default.message': '"{{statusText}}"\n\\{{message}}' } }));
    const post = JSON.parse(out.body) as { en_us: { content: { tag: string; text: string }[][] } };
    expect(post.en_us.content[0]).toEqual([{ tag: 'text', text: `"FIRING"\n\\${HOSTILE}` }]);
    expect(post.en_us.content[2]).toEqual([{ tag: 'text', text: `  pod: ${HOSTILE}` }]);
  });

  it('accepts a custom Feishu post rendered as YAML', () => {
    const yamlPost = 'zh_cn:\n  title: "{{status}}"\n  content:\n    - - tag: text\n        text: "{{#alerts}}{{labels.alertname}}{{/alerts}}"';
    const out = renderNotification(registry, input('feishu', [alert({ alertname: 'A' })], { templates: { receiver: { template: yamlPost } } }));
    expect(JSON.parse(out.body)).toEqual({ zh_cn: { title: 'firing', content: [[{ tag: 'text', text: 'A' }]] } });
  });

  it('rejects a Feishu post that is not an object', () => {
    const run = (): unknown => renderNotification(registry, input('feishu', [alert({ alertname: 'A' })], { templates: { receiver: { template: '{{status}}' } } }));
    expect(run).toThrow(TemplateRenderError);
  });

  const WEBHOOK_BODY =
    '{"receiver":"{{receiver}}","status":"{{status}}","alerts":[{{#alerts}}{{^first}},{{/first}}' +
    '{"message":"{{message}}","labels":{ {{#labelPairs}}{{^first}},{{/first}}"{{name}}":"{{value}}"{{/labelPairs}} }}{{/alerts}}]}';

  it('JSON-escapes hostile values in custom webhook bodies: the result always parses', () => {
    const value = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 4 }), (pairs) => {
        const alerts = pairs.map(([v, m]) => alert({ alertname: 'A', zvalue: v }, { message: m }));
        const out = renderNotification(registry, input('webhook', alerts, { templates: { receiver: { template: WEBHOOK_BODY } } }));
        expect(out.kind).toBe('json');
        const parsed = JSON.parse(out.body) as { alerts: { message: string; labels: Record<string, string> }[] };
        expect(parsed.alerts.map((a) => [a.labels.zvalue, a.message])).toEqual(pairs);
      }),
      { numRuns: 300 },
    );
  });
});

describe('webhook JSON marker', () => {
  it('posts the v4 body for the default template and nm.default.history', () => {
    const alerts = [alert({ alertname: 'A' })];
    const expected = JSON.stringify(webhookBody({ ...input('webhook', alerts), notificationTime: FIXED_TIME }));
    expect(renderNotification(registry, input('webhook', alerts))).toEqual({ body: expected, kind: 'json', template: 'webhook.default.message', language: 'English' });
    const history = renderNotification(registry, input('webhook', alerts, { templates: { receiver: { template: 'nm.default.history' } } }));
    expect(history.body).toBe(expected);
  });
});

describe('languages', () => {
  const { registry: zh } = createTemplateRegistry({ defaultLanguage: 'zh-cn' });
  const alerts = [alert({ alertname: 'A', namespace: 'n1' }, { message: 'english', summaryCn: '中文' })];

  it('renders in the registry default language', () => {
    expect(renderNotification(zh, input('slack', alerts)).body).toBe('[触发中] 中文\n  告警名称: A\n  项目: n1');
  });
  it('lets the receiver language win, then the channel option, then the global option', () => {
    expect(renderNotification(zh, input('slack', alerts, { language: 'English', templates: { channelOption: { language: 'zh-cn' } } })).language).toBe('English');
    expect(renderNotification(registry, input('slack', alerts, { templates: { channelOption: { language: 'zh-cn' }, global: { language: 'English' } } })).language).toBe('zh-cn');
    expect(renderNotification(registry, input('slack', alerts, { templates: { global: { language: 'zh-CN' } } })).body).toBe('[触发中] 中文\n  告警名称: A\n  项目: n1');
  });
  it('keeps English labels untranslated and statuses upper-case', () => {
    expect(renderNotification(registry, input('slack', alerts)).body).toBe('[FIRING] english\n  alertname: A\n  namespace: n1');
  });
});

describe('lambdas', () => {
  const one = [alert({ alertname: 'A', namespace: 'n' }, { message: 'a <b> & c '.repeat(20) })];
  const render = (template: string, channel: 'slack' | 'sms' | 'email' | 'webhook' = 'slack', language?: string): string =>
    renderNotification(registry, input(channel, one, { templates: { receiver: { template } }, ...(language ? { language } : {}) })).body;

  it('translate looks words up in the receiver language', () => {
    expect(render('{{#translate}}namespace{{/translate}} {{#translate}} Firing {{/translate}}', 'slack', 'zh-cn')).toBe('项目 触发中');
    expect(render('{{#translate}}firing{{/translate}}')).toBe('FIRING');
  });
  it('truncate cuts to 100 characters by default, or to a given length', () => {
    const def = render('{{#alerts}}{{#truncate}}{{message}}{{/truncate}}{{/alerts}}', 'sms');
    expect(Array.from(def)).toHaveLength(100);
    expect(def.endsWith('…')).toBe(true);
    expect(render('{{#alerts}}{{#truncate}}8:{{message}}{{/truncate}}{{/alerts}}', 'sms')).toBe('a <b> &…');
    // Slack: cut first, then escaped for mrkdwn
    expect(render('{{#alerts}}{{#truncate}}8:{{message}}{{/truncate}}{{/alerts}}')).toBe('a &lt;b&gt; &amp;…');
    expect(render('{{#truncate}}50:short{{/truncate}}')).toBe('short');
  });
  it('truncate cuts characters, not escapes, in HTML and JSON', () => {
    expect(render('<p>{{#alerts}}{{#truncate}}8:{{message}}{{/truncate}}{{/alerts}}</p>', 'email')).toBe('<p>a &lt;b&gt; &amp;…</p>');
    expect(render('"{{#alerts}}{{#truncate}}3:{{labels.alertname}}"""{{/truncate}}{{/alerts}}"', 'webhook')).toBe('"A\\"…"');
  });
  it('upper, lower and json', () => {
    expect(render('{{#upper}}{{receiver}}{{/upper}} {{#lower}}AbC{{/lower}} {{#json}}a"b\n{{/json}}')).toBe('R1 abc a\\"b\\n');
  });
});

describe('time zone', () => {
  it('shows times in the configured zone, across daylight saving', () => {
    const winter = alert({ alertname: 'A' }, {}, { startsAt: '2024-01-15T12:00:00Z', status: 'resolved', endsAt: '2024-01-15T13:30:05.5Z' });
    const summer = alert({ alertname: 'A' }, {}, { startsAt: '2024-07-15T12:00:00Z' });
    const template = '{{#alerts}}{{startTime}}/{{endTime}};{{/alerts}}{{notificationTime}}';
    const at = (timeZone: string): string =>
      renderNotification(createTemplateRegistry({ timeZone }).registry, input('slack', [winter, summer], { templates: { receiver: { template } } })).body;
    expect(at('America/New_York')).toBe('2024-01-15 07:00:00 -05:00/2024-01-15 08:30:05 -05:00;2024-07-15 08:00:00 -04:00/;2020-04-16 23:00:00 -04:00');
    expect(at('Asia/Shanghai')).toBe('2024-01-15 20:00:00 +08:00/2024-01-15 21:30:05 +08:00;2024-07-15 20:00:00 +08:00/;2020-04-17 11:00:00 +08:00');
    expect(at('UTC')).toBe('2024-01-15 12:00:00 UTC/2024-01-15 13:30:05 UTC;2024-07-15 12:00:00 UTC/;2020-04-17 03:00:00 UTC');
  });
});
