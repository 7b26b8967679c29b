import { describe, expect, it } from '@jest/globals';
import type { Channel } from '@nm/contracts';
import { CHANNEL_ESCAPES, escapeModeOf } from './channel.formats.js';
import { ESCAPE_MODES, ESCAPERS, ZWSP, escapeDiscord, escapeMarkdown, escapeSlack } from './escape.functions.js';
import { renderNotification } from './notification.render.js';
import { createTemplateRegistry } from './template.registry.js';
import { alert, input } from './test-support/render.helpers.js';

const { registry } = createTemplateRegistry();

/** Label and annotation values that try to mention everyone or forge a link. */
const HOSTILE = {
  slackBroadcast: '<!channel>',
  slackUser: '<@U024BE7LH>',
  slackLink: '<http://evil.example|click here>',
  atAll: '@all',
  atMobile: '@13800000000',
  mdLink: '[click](http://evil.example)',
  mdImage: '![x](http://evil.example/x.png)',
  everyone: '@everyone',
  here: '@here',
  discordUser: '<@123456789012345678>',
  discordRole: '<@&223456789012345678>',
  wecomUser: '<@zhangsan>',
  feishuAt: '<at user_id="all">everyone</at>',
  chatAll: '<users/all>',
};

const hostileAlert = () =>
  alert(
    { alertname: 'Injected', ...Object.fromEntries(Object.entries(HOSTILE).map(([k, v]) => [k, v])) },
    { summary: `see ${HOSTILE.mdLink} ${HOSTILE.slackBroadcast} ${HOSTILE.atAll}`, message: `${HOSTILE.everyone} ${HOSTILE.mdLink}` },
  );

function render(channel: Channel, tmplType?: string): string {
  return renderNotification(registry, input(channel, [hostileAlert()], tmplType ? { tmplType } : {})).body;
}

/** What each markup would read as a mention or a link. */
const LIVE = {
  slack: [/<!channel>/, /<@U/, /<http/, /(^|[^\u200b])@(channel|here|everyone)\b/],
  markdown: [/\]\(/, /\]\[/, /(^|[^\w\u200b])@(all|everyone|here|\d)/, /<@/, /<at\b/, /<http/],
  discord: [/(^|[^\u200b])@(everyone|here)/, /<@/, /\]\(/],
  feishuText: [/<at\b/],
  mentions: [/@(all|\d|everyone|here)/],
  googlechat: [/<users\//],
};

function expectInert(body: string, patterns: readonly RegExp[]): void {
  for (const p of patterns) expect([p.source, p.test(body)]).toEqual([p.source, false]);
}

describe('alert values are escaped for each channel markup', () => {
  it('Slack mrkdwn: <, > and & become entities, so <!channel>, <@U…> and <url|text> are text', () => {
    const body = render('slack');
    expect(body).toContain('&lt;!channel&gt;');
    expect(body).toContain('&lt;http://evil.example|click here&gt;');
    expectInert(body, LIVE.slack);
    expect(escapeSlack('a & b <!here> @channel')).toBe(`a &amp; b &lt;!here&gt; @${ZWSP}channel`);
  });

  it.each([
    ['dingtalk', 'markdown'],
    ['wechat', 'markdown'],
    ['teams', 'adaptivecard'],
  ] as const)('%s %s: no link, image, inline tag or @mention from a value', (channel, tmplType) => {
    const body = render(channel, tmplType);
    expectInert(body, LIVE.markdown);
    // the text itself is still there, readable
    expect(body.replace(new RegExp(ZWSP, 'g'), '')).toContain('[click](http://evil.example)');
    expect(body.replace(new RegExp(ZWSP, 'g'), '')).toContain('@all');
  });

  it.each([
    ['dingtalk', 'text'],
    ['wechat', 'text'],
    ['telegram', undefined],
  ] as const)('%s %s: @mentions in plain text are neutralised', (channel, tmplType) => {
    expectInert(render(channel, tmplType), LIVE.mentions);
  });

  it('Feishu text: <at user_id="all"> is not a tag; Feishu post stays JSON with literal text', () => {
    expectInert(render('feishu', 'text'), LIVE.feishuText);
    const post = JSON.parse(render('feishu', 'post')) as { en_us: { content: Array<Array<{ tag: string; text: string }>> } };
    const texts = post.en_us.content.flat();
    expect(texts.every((t) => t.tag === 'text')).toBe(true);
    expect(texts.map((t) => t.text).join('\n')).toContain('<at user_id="all">everyone</at>');
  });

  it('Discord: @everyone, @here, <@id>, <@&role> and masked links are inert', () => {
    expectInert(render('discord'), LIVE.discord);
    expect(escapeDiscord('@everyone <@1> <@!2> <@&3> <#4> [a](http://b)')).toBe(
      `@${ZWSP}everyone <${ZWSP}@${ZWSP}1> <${ZWSP}@!2> <${ZWSP}@&3> <${ZWSP}#4> [a]${ZWSP}(http://b)`,
    );
  });

  it('Google Chat text: <users/all> is not a mention', () => {
    expectInert(render('googlechat'), LIVE.googlechat);
  });

  it('leaves the template text itself alone: a template may write links and mentions on purpose', () => {
    const template = '[runbook](https://runbooks.example/{{#alerts}}{{labels.alertname}}{{/alerts}}) <!here> {{#alerts}}{{labels.mdLink}}{{/alerts}}';
    const out = renderNotification(registry, input('slack', [hostileAlert()], { templates: { receiver: { template } } })).body;
    expect(out).toBe('[runbook](https://runbooks.example/Injected) <!here> [click](http://evil.example)');
    const md = renderNotification(registry, input('dingtalk', [hostileAlert()], { tmplType: 'markdown', templates: { receiver: { template } } })).body;
    expect(md).toBe(`[runbook](https://runbooks.example/Injected) <!here> [click]${ZWSP}(http://evil.example)`);
  });

  it('triple braces insert a value as it is (the template author chose to)', () => {
    const out = renderNotification(registry, input('slack', [hostileAlert()], { templates: { receiver: { template: '{{#alerts}}{{{labels.slackBroadcast}}}{{/alerts}}' } } }));
    expect(out.body).toBe('<!channel>');
  });

  it('leaves ordinary values readable', () => {
    expect(escapeMarkdown('disk /var is 95% full (node-1) a@b [x] 1 < 2')).toBe(`disk /var is 95% full (node-1) a@${ZWSP}b [x] 1 < 2`);
    expect(escapeSlack('95% full (node-1) [x](y)')).toBe('95% full (node-1) [x](y)');
  });

  it('has an escaper for every mode and a known mode for every channel entry', () => {
    for (const mode of ESCAPE_MODES) expect(typeof ESCAPERS[mode]).toBe('function');
    for (const kinds of Object.values(CHANNEL_ESCAPES)) for (const mode of Object.values(kinds)) expect(ESCAPE_MODES).toContain(mode);
    expect(escapeModeOf('html', 'slack')).toBe('html');
    expect(escapeModeOf('json', 'discord')).toBe('json');
    expect(escapeModeOf('text', 'email')).toBe('none');
    expect(escapeModeOf('text')).toBe('none');
  });
});
