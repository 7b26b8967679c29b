/** Vendor base URLs. Each is configurable so tests and air-gapped installs can point elsewhere. */
import { z } from 'zod';

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';
export const DEFAULT_WECHAT_API_URL = 'https://qyapi.weixin.qq.com/cgi-bin/';
export const DEFAULT_DINGTALK_API_URL = 'https://oapi.dingtalk.com/';
export const DEFAULT_FEISHU_API_URL = 'https://open.feishu.cn/open-apis/';
/** Lark (international) serves the same API under another host. */
export const LARK_API_URL = 'https://open.larksuite.com/open-apis/';
export const DEFAULT_PUSHOVER_API_URL = 'https://api.pushover.net/1/';
export const DEFAULT_TELEGRAM_API_URL = 'https://api.telegram.org/';
export const DEFAULT_PAGERDUTY_API_URL = 'https://events.pagerduty.com/';
export const DEFAULT_OPSGENIE_API_URL = 'https://api.opsgenie.com/';

/** A base URL with exactly one trailing slash, so `new URL(path, base)` keeps its path. */
export function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Joins a base URL and a relative API path (`chat.postMessage`, `auth/v3/...`). */
export function apiUrl(base: string, path: string): string {
  return withTrailingSlash(base) + path.replace(/^\/+/, '');
}

/** An `NM_*_API_URL` variable: an http(s) URL (given one trailing slash), or `fallback` when unset or empty. */
export function apiUrlVariable(fallback: string): z.ZodType<string, string | undefined> {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const v = raw?.trim();
      if (!v) return fallback;
      let parsed: URL;
      try {
        parsed = new URL(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not a valid URL' });
        return z.NEVER;
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL' });
        return z.NEVER;
      }
      return withTrailingSlash(v);
    });
}

/**
 * `NM_SLACK_API_URL`, `NM_DINGTALK_API_URL`, `NM_FEISHU_API_URL`, `NM_PUSHOVER_API_URL` and
 * `NM_TELEGRAM_API_URL`, `NM_PAGERDUTY_API_URL` and `NM_OPSGENIE_API_URL`, defaulting to the vendors'
 * URLs; each sender service reads its own. WeCom's base URL comes from its Config (`wechatApiUrl`).
 */
export const ChannelUrlEnvSchema = z.object({
  NM_SLACK_API_URL: apiUrlVariable(DEFAULT_SLACK_API_URL),
  NM_DINGTALK_API_URL: apiUrlVariable(DEFAULT_DINGTALK_API_URL),
  NM_FEISHU_API_URL: apiUrlVariable(DEFAULT_FEISHU_API_URL),
  NM_PUSHOVER_API_URL: apiUrlVariable(DEFAULT_PUSHOVER_API_URL),
  NM_TELEGRAM_API_URL: apiUrlVariable(DEFAULT_TELEGRAM_API_URL),
  NM_PAGERDUTY_API_URL: apiUrlVariable(DEFAULT_PAGERDUTY_API_URL),
  NM_OPSGENIE_API_URL: apiUrlVariable(DEFAULT_OPSGENIE_API_URL),
});
