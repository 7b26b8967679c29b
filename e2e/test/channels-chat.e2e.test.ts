import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@nm/testing';
import { startVendorFake, type RecordedRequest, type VendorFake } from '@nm/testing/vendor-fake';
import { CHAT_SENDERS, SERVICES, startStack, type Stack } from './support/stack.js';

const API = 'notification.kubesphere.io/v2beta2';
const SECRET_NS = 'nm-system';
/** Manifests as JSON documents (JSON is YAML). */
const docs = (...objects: object[]): string => objects.map((o) => JSON.stringify(o, null, 2)).join('\n---\n');
const secretRef = (name: string, key: string): object => ({ valueFrom: { secretKeyRef: { name, key } } });

const PUSHOVER_TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
const PUSHOVER_USER = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
const DISCORD_HOOK = '112233445566778899/e2e-discord-token';
const TELEGRAM_TOKEN = '123456789:AAE-e2e-telegram-token';

const bodyOf = (r: RecordedRequest): Record<string, unknown> => (r.body ?? {}) as Record<string, unknown>;
const statusOf = (r: RecordedRequest): number | undefined => ('reset' in r.response ? undefined : r.response.status);

describe('pushover, discord and telegram senders deliver through their own processes', () => {
  let fake: VendorFake;
  let stack: Stack;

  beforeAll(async () => {
    fake = await startVendorFake({
      pushover: { tokens: [PUSHOVER_TOKEN], users: { [PUSHOVER_USER]: ['phone'] } },
      discord: { webhooks: [DISCORD_HOOK] },
      telegram: { tokens: [TELEGRAM_TOKEN], chats: ['@ops', '-1001234567890'] },
    });
    const manifests = docs(
      {
        apiVersion: API,
        kind: 'NotificationManager',
        metadata: { name: 'notification-manager' },
        spec: {
          defaultSecretNamespace: SECRET_NS,
          defaultConfigSelector: { matchLabels: { type: 'default' } },
          receivers: {
            tenantKey: 'namespace',
            globalReceiverSelector: { matchLabels: { type: 'global' } },
            tenantReceiverSelector: { matchLabels: { type: 'tenant' } },
          },
          groupLabels: ['alertname', 'namespace'],
          batchMaxSize: 100,
          batchMaxWait: '300ms',
          aggregation: { mode: 'batch' },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'chat-credentials', namespace: SECRET_NS },
        stringData: { pushoverToken: PUSHOVER_TOKEN, discordWebhook: fake.discordWebhookUrl(DISCORD_HOOK), telegramToken: TELEGRAM_TOKEN },
      },
      {
        apiVersion: API,
        kind: 'Config',
        metadata: { name: 'default-chat', labels: { type: 'default' } },
        spec: {
          pushover: { pushoverTokenSecret: secretRef('chat-credentials', 'pushoverToken') },
          telegram: { telegramTokenSecret: secretRef('chat-credentials', 'telegramToken') },
        },
      },
      {
        apiVersion: API,
        kind: 'Receiver',
        metadata: { name: 'chat', labels: { type: 'tenant', namespace: 'team-a' } },
        spec: {
          pushover: { profiles: [{ userKey: PUSHOVER_USER, devices: ['phone'], sound: 'siren', priority: 1 }] },
          // no template: the default text is rendered
          discord: { webhook: secretRef('chat-credentials', 'discordWebhook'), type: 'embed', mentionedRoles: ['424242'] },
          telegram: { channels: ['@ops', '-1001234567890'], mentionedUsers: ['oncall'] },
        },
      },
    );
    stack = await startStack({
      manifests: { 'chat.yaml': manifests },
      services: [...SERVICES, ...CHAT_SENDERS],
      // nine processes booting on a shared, loaded machine
      readyTimeoutMs: 240_000,
      env: {
        'sender-pushover': { NM_PUSHOVER_API_URL: fake.urls.pushoverApi },
        'sender-telegram': { NM_TELEGRAM_API_URL: fake.urls.telegramApi },
      },
    });
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    await fake?.close();
  });

  it('delivers one alert to pushover, discord and telegram, once each, with the configured credentials', async () => {
    const alertname = 'ChatE2EDiskFull';
    const res = await stack.postAlerts([{ labels: { alertname, namespace: 'team-a', severity: 'critical' }, annotations: { message: 'disk sda1 is full @everyone' } }]);
    expect(res.status).toBe(200);

    await waitFor(
      'every chat channel delivered',
      () =>
        fake.requestsTo('pushover.messages').length >= 1 &&
        fake.requestsTo('discord.webhook').length >= 1 &&
        fake.requestsTo('telegram.sendMessage').length >= 2,
      45_000,
    ).catch((err: Error) => {
      const dump = CHAT_SENDERS.map((s) => `--- ${s}\n${stack.logs(s).slice(-1500)}`).join('\n');
      throw new Error(`${err.message}\n${dump}`);
    });
    // nothing more arrives after a further flush window
    await new Promise((r) => setTimeout(r, 1500));

    // pushover: one message to the profile, with the Config's token, its device, sound and priority, a rendered title
    const pushes = fake.requestsTo('pushover.messages');
    expect(pushes).toHaveLength(1);
    expect(bodyOf(pushes[0]!)).toMatchObject({ token: PUSHOVER_TOKEN, user: PUSHOVER_USER, device: 'phone', sound: 'siren', priority: 1, title: expect.stringContaining('disk sda1 is full') });
    expect(String(bodyOf(pushes[0]!).message)).toContain(alertname);
    expect(pushes[0]!.response).toMatchObject({ status: 200, body: { status: 1 } });

    // discord: one embed at the Receiver's webhook (default template), only the Receiver's role may be pinged
    const hooks = fake.requestsTo('discord.webhook');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.path).toBe(`/discord/api/webhooks/${DISCORD_HOOK}`);
    const discord = bodyOf(hooks[0]!);
    expect(discord.content).toBe('<@&424242>');
    expect(discord.allowed_mentions).toEqual({ parse: [], users: [], roles: ['424242'] });
    expect((discord.embeds as { description: string }[])[0]!.description).toContain(alertname);
    expect(statusOf(hooks[0]!)).toBe(204);

    // telegram: one sendMessage per chat with the Config's bot token, plain text and the mention
    const sends = fake.requestsTo('telegram.sendMessage');
    expect(sends).toHaveLength(2);
    expect(sends.map((r) => r.path)).toEqual([`/telegram/bot${TELEGRAM_TOKEN}/sendMessage`, `/telegram/bot${TELEGRAM_TOKEN}/sendMessage`]);
    expect(sends.map((r) => bodyOf(r).chat_id).sort()).toEqual([-1001234567890, '@ops'].sort());
    for (const r of sends) {
      expect(String(bodyOf(r).text)).toContain(alertname);
      expect(String(bodyOf(r).text).endsWith('\n@oncall')).toBe(true);
      expect(r.response).toMatchObject({ status: 200, body: { ok: true } });
    }
  });
});
