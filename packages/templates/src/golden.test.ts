import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Channel } from '@nm/contracts';
import { createTemplateRegistry } from './template.registry.js';
import { renderNotification, type RenderInput } from './notification.render.js';
import type { TemplateRefs } from './template.resolve.js';
import { fixtureGroups } from './test-support/fixtures.js';

/**
 * Golden files: every built-in × channel type × language over the fixture groups. Regenerate with
 * `UPDATE_GOLDEN=1 npm test -- golden`, review the diff by eye, commit.
 */
const GOLDEN_DIR = new URL('./__golden__/', import.meta.url);
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface Variant {
  readonly id: string;
  readonly channel: Channel;
  readonly tmplType?: string;
  readonly receiver?: TemplateRefs;
}

const VARIANTS: readonly Variant[] = [
  { id: 'email-html', channel: 'email' },
  { id: 'email-text', channel: 'email', tmplType: 'text' },
  { id: 'email-nm-html', channel: 'email', receiver: { template: 'nm.html', subjectTemplate: 'nm.subject' } },
  { id: 'wechat-text', channel: 'wechat' },
  { id: 'wechat-markdown', channel: 'wechat', tmplType: 'markdown' },
  { id: 'dingtalk-text', channel: 'dingtalk' },
  { id: 'dingtalk-markdown', channel: 'dingtalk', tmplType: 'markdown' },
  { id: 'feishu-post', channel: 'feishu' },
  { id: 'feishu-text', channel: 'feishu', tmplType: 'text' },
  { id: 'slack', channel: 'slack' },
  { id: 'sms', channel: 'sms' },
  { id: 'pushover', channel: 'pushover' },
  { id: 'discord', channel: 'discord' },
  { id: 'telegram', channel: 'telegram' },
  { id: 'webhook', channel: 'webhook' },
  { id: 'slack-message-cn', channel: 'slack', receiver: { template: '{{#alerts}}{{> nm.default.message.cn}}{{keepLine}}\n{{/alerts}}' } },
];

const LANGUAGES = ['English', 'zh-cn'] as const;
const NOTIFICATION_TIME = new Date('2020-04-17T03:00:00.000Z');

const { registry } = createTemplateRegistry({ timeZone: 'Asia/Shanghai' });

/** A Feishu post, one paragraph per line (the body itself is compact JSON). */
function postLines(body: string): string {
  const post = JSON.parse(body) as Record<string, { content: unknown[] }>;
  return Object.entries(post)
    .flatMap(([locale, { content }]) => [`${locale}.content:`, ...content.map((p) => JSON.stringify(p))])
    .join('\n');
}

function renderVariant(variant: Variant, language: string): string {
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
      language,
      notificationTime: NOTIFICATION_TIME,
    };
    const out = renderNotification(registry, input);
    const body = out.kind === 'post-json' ? postLines(out.body) : out.kind === 'json' ? JSON.stringify(JSON.parse(out.body), null, 2) : out.body;
    sections.push(
      `## ${group.name} (template ${out.template}, kind ${out.kind})`,
      ...(out.title === undefined ? [] : ['### title', out.title]),
      '### body',
      body,
      '',
    );
  }
  return sections.join('\n');
}

describe('golden renderings', () => {
  for (const variant of VARIANTS) {
    for (const language of LANGUAGES) {
      it(`${variant.id} in ${language}`, () => {
        const actual = renderVariant(variant, language);
        const file = new URL(`${variant.id}.${language}.golden`, GOLDEN_DIR);
        if (UPDATE) {
          mkdirSync(GOLDEN_DIR, { recursive: true });
          writeFileSync(file, actual);
        }
        if (!existsSync(file)) throw new Error(`missing golden ${file.pathname}; run UPDATE_GOLDEN=1 npm test -- golden`);
        expect(actual).toBe(readFileSync(file, 'utf8'));
      });
    }
  }
});
