import { describe, expect, it } from '@jest/globals';
import type { Channel } from '@nm/contracts';
import { TemplateNotFoundError } from './errors.js';
import { createTemplateRegistry } from './template.registry.js';
import { resolveTemplates, type TemplateSelectionInput } from './template.resolve.js';

const { registry } = createTemplateRegistry({
  globalTexts: [{ source: 'configmap ns/global', data: { 'g.body': 'global body', 'g.title': 'global title', 'nm.default.text': 'global text override' } }],
});

function pick(input: TemplateSelectionInput): { body: string; title: string | undefined; kind: string; tmplType: string } {
  const s = resolveTemplates(registry, input);
  return { body: s.body.name, title: s.title?.name, kind: s.format.kind, tmplType: s.format.tmplType };
}

describe('built-in defaults per channel and tmplType (§5.1)', () => {
  it.each<[Channel, string | undefined, string, string | undefined, string]>([
    ['email', undefined, 'nm.default.html', 'nm.default.subject', 'html'],
    ['email', 'html', 'nm.default.html', 'nm.default.subject', 'html'],
    ['email', 'text', 'nm.default.text', 'nm.default.subject', 'text'],
    ['dingtalk', undefined, 'nm.default.text', undefined, 'text'],
    ['dingtalk', 'markdown', 'nm.default.markdown', 'nm.default.subject', 'markdown'],
    ['wechat', undefined, 'nm.default.text', undefined, 'text'],
    ['wechat', 'markdown', 'nm.default.markdown', undefined, 'markdown'],
    ['feishu', undefined, 'nm.feishu.post', undefined, 'post-json'],
    ['feishu', 'text', 'nm.feishu.text', undefined, 'text'],
    ['pushover', undefined, 'nm.default.text', 'nm.default.subject', 'text'],
    ['slack', undefined, 'nm.default.text', undefined, 'text'],
    ['sms', undefined, 'nm.default.text', undefined, 'text'],
    ['telegram', undefined, 'nm.default.text', undefined, 'text'],
    ['discord', undefined, 'nm.default.text', undefined, 'text'],
    ['webhook', undefined, 'webhook.default.message', undefined, 'json'],
  ])('%s / %s → body %s, title %s', (channel, tmplType, body, title, kind) => {
    const got = pick({ channel, ...(tmplType ? { tmplType } : {}) });
    expect(got.body).toBe(body);
    expect(got.title).toBe(title);
    expect(got.kind).toBe(kind);
  });

  it('falls back to the default type for an unknown tmplType', () => {
    expect(pick({ channel: 'email', tmplType: 'markdown' })).toMatchObject({ body: 'nm.default.html', tmplType: 'html' });
  });

  it('takes tmplType from the receiver before the channel option', () => {
    expect(pick({ channel: 'email', tmplType: 'text', templates: { channelOption: { tmplType: 'html' } } }).tmplType).toBe('text');
    expect(pick({ channel: 'email', templates: { channelOption: { tmplType: 'text' } } }).tmplType).toBe('text');
  });
});

describe('precedence: receiver > channel option > global > built-in', () => {
  const all = { receiver: { template: 'nm.default.markdown' }, channelOption: { template: 'nm.feishu.text' }, global: { template: 'g.body' } };

  it('prefers the receiver template', () => {
    expect(pick({ channel: 'slack', templates: all }).body).toBe('nm.default.markdown');
  });
  it('then the channel option', () => {
    expect(pick({ channel: 'slack', templates: { ...all, receiver: {} } }).body).toBe('nm.feishu.text');
  });
  it('then the global option', () => {
    expect(pick({ channel: 'slack', templates: { global: all.global } }).body).toBe('g.body');
  });
  it('ignores empty and blank values', () => {
    expect(pick({ channel: 'slack', templates: { receiver: { template: '' }, channelOption: { template: '  ' }, global: { template: 'g.body' } } }).body).toBe('g.body');
  });
  it('does not let the global template turn a webhook body into text (§12.14)', () => {
    expect(pick({ channel: 'webhook', templates: { global: { template: 'g.body' } } }).body).toBe('webhook.default.message');
    expect(pick({ channel: 'webhook', templates: { channelOption: { template: 'g.body' } } }).body).toBe('g.body');
  });
  it('resolves titles: receiver subjectTemplate > option subjectTemplate > built-in', () => {
    expect(pick({ channel: 'email', templates: { receiver: { subjectTemplate: 'nm.subject' }, channelOption: { subjectTemplate: 'g.title' } } }).title).toBe('nm.subject');
    expect(pick({ channel: 'email', templates: { channelOption: { subjectTemplate: 'g.title' } } }).title).toBe('g.title');
    expect(pick({ channel: 'pushover', templates: { receiver: { titleTemplate: 'g.title' } } }).title).toBe('g.title');
    expect(pick({ channel: 'dingtalk', tmplType: 'markdown', templates: { channelOption: { titleTemplate: 'nm.subject' } } }).title).toBe('nm.subject');
  });
  it('reads the title field of the channel only (email has subjectTemplate, not titleTemplate)', () => {
    expect(pick({ channel: 'email', templates: { receiver: { titleTemplate: 'g.title' } } }).title).toBe('nm.default.subject');
  });
  it('has no title for DingTalk text even when one is configured', () => {
    expect(pick({ channel: 'dingtalk', templates: { receiver: { titleTemplate: 'g.title' } } }).title).toBeUndefined();
  });
});

describe('template references', () => {
  it("accepts notification-manager's inline form {{ template \"name\" . }}", () => {
    expect(pick({ channel: 'slack', templates: { receiver: { template: '{{ template "nm.default.markdown" . }}' } } }).body).toBe('nm.default.markdown');
  });
  it('treats other text with {{ as an inline mustache template', () => {
    const s = resolveTemplates(registry, { channel: 'slack', templates: { receiver: { template: '{{status}}!' } } });
    expect(s.body).toMatchObject({ kind: 'inline', text: '{{status}}!' });
  });
  it('prefers a receiver tmplText key, then a global key, then a built-in of the same name', () => {
    const s = resolveTemplates(registry, { channel: 'slack', receiverTexts: { 'nm.default.text': 'mine' }, receiverTextsSource: 'configmap ns/r' });
    expect(s.body).toMatchObject({ kind: 'named', name: 'nm.default.text', text: 'mine', source: 'configmap ns/r' });
    expect(resolveTemplates(registry, { channel: 'slack' }).body).toMatchObject({ text: 'global text override' });
  });
  it('lets a ConfigMap key replace a JSON marker', () => {
    const s = resolveTemplates(registry, { channel: 'webhook', receiverTexts: { 'webhook.default.message': '{"s":"{{status}}"}' } });
    expect(s.body.kind).toBe('named');
  });
  it('names the field of an unknown template', () => {
    expect(() => resolveTemplates(registry, { channel: 'slack', templates: { channelOption: { template: 'nope' } } })).toThrow(
      new TemplateNotFoundError('nope', 'options.slack.template'),
    );
    try {
      resolveTemplates(registry, { channel: 'email', templates: { receiver: { subjectTemplate: 'missing.subject' } } });
      throw new Error('expected a throw');
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateNotFoundError);
      expect((err as TemplateNotFoundError).code).toBe('TEMPLATE_NOT_FOUND');
      expect((err as Error).message).toBe(
        'receiver email subjectTemplate: template "missing.subject" is neither built in nor defined in a template ConfigMap',
      );
    }
  });
});
