import { describe, expect, it } from '@jest/globals';
import { parseStandaloneEnv } from './standalone.js';

const base = { NM_SECRET_KEY: 'standalone-env-test-key' };

describe('parseStandaloneEnv', () => {
  it("reads every service's settings, as each service does alone", () => {
    const env = parseStandaloneEnv({
      ...base,
      NM_SENDER_MAX_ATTEMPTS: '3',
      NM_SENDER_CONCURRENCY: '2',
      NM_SLACK_API_URL: 'http://127.0.0.1:9/slack',
      NM_DINGTALK_API_URL: 'http://127.0.0.1:9/dingtalk',
      NM_TENCENT_SMS_URL: 'http://127.0.0.1:9/tencent',
      NM_PUSHOVER_API_URL: 'http://127.0.0.1:9/pushover/1',
      NM_TELEGRAM_API_URL: 'http://127.0.0.1:9/telegram/',
      NM_FEISHU_API_URL: 'http://127.0.0.1:9/feishu/',
      NM_INHIBIT_SOURCE_TTL_SECONDS: '60',
      NM_TENANT_SIDECAR_URL: 'http://sidecar:19094',
      NM_INGEST_MAX_BODY_BYTES: '1024',
      NM_AGGREGATOR_MAX_GROUPS: '10',
      NM_CONFIG_POLL_MS: '250',
    }) as Record<string, unknown>;
    expect(env).toMatchObject({
      NM_SENDER_MAX_ATTEMPTS: 3,
      NM_SENDER_CONCURRENCY: 2,
      NM_SLACK_API_URL: 'http://127.0.0.1:9/slack/',
      NM_DINGTALK_API_URL: 'http://127.0.0.1:9/dingtalk/',
      NM_TENCENT_SMS_URL: 'http://127.0.0.1:9/tencent/',
      NM_PUSHOVER_API_URL: 'http://127.0.0.1:9/pushover/1/',
      NM_TELEGRAM_API_URL: 'http://127.0.0.1:9/telegram/',
      NM_FEISHU_API_URL: 'http://127.0.0.1:9/feishu/',
      NM_INHIBIT_SOURCE_TTL_SECONDS: 60,
      NM_TENANT_SIDECAR_URL: 'http://sidecar:19094',
      NM_INGEST_MAX_BODY_BYTES: 1024,
      NM_AGGREGATOR_MAX_GROUPS: 10,
      NM_CONFIG_POLL_MS: 250,
      NM_INGEST_PORT: 19093,
    });
  });

  it('defaults what is not set, the vendor URLs included', () => {
    expect(parseStandaloneEnv(base)).toMatchObject({ NM_SENDER_MAX_ATTEMPTS: 12, NM_SLACK_API_URL: 'https://slack.com/api/', NM_PUSHOVER_API_URL: 'https://api.pushover.net/1/', NM_TELEGRAM_API_URL: 'https://api.telegram.org/', NM_INHIBIT_SOURCE_TTL_SECONDS: 86400 });
  });

  it('refuses a bad setting of any service in one line naming each variable', () => {
    expect(() => parseStandaloneEnv({ ...base, NM_SENDER_MAX_ATTEMPTS: '-1', NM_FEISHU_API_URL: 'ftp://x' })).toThrow(
      /^invalid environment: .*NM_SENDER_MAX_ATTEMPTS: .*; NM_FEISHU_API_URL: must be an http\(s\) URL$/,
    );
  });
});
