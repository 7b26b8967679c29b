/** Vendor base URLs. Each is configurable so tests and air-gapped installs can point elsewhere. */

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';
export const DEFAULT_WECHAT_API_URL = 'https://qyapi.weixin.qq.com/cgi-bin/';
export const DEFAULT_DINGTALK_API_URL = 'https://oapi.dingtalk.com/';
export const DEFAULT_FEISHU_API_URL = 'https://open.feishu.cn/open-apis/';
/** Lark (international) serves the same API under another host. */
export const LARK_API_URL = 'https://open.larksuite.com/open-apis/';

export interface ChannelBaseUrls {
  slackApiUrl: string;
  dingtalkApiUrl: string;
  feishuApiUrl: string;
}

/** A base URL with exactly one trailing slash, so `new URL(path, base)` keeps its path. */
export function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Joins a base URL and a relative API path (`chat.postMessage`, `auth/v3/...`). */
export function apiUrl(base: string, path: string): string {
  return withTrailingSlash(base) + path.replace(/^\/+/, '');
}

/**
 * Reads `NM_SLACK_API_URL`, `NM_DINGTALK_API_URL` and `NM_FEISHU_API_URL`, defaulting to the
 * vendors' URLs. WeCom's base URL comes from its Config (`wechatApiUrl`) instead.
 */
export function channelBaseUrlsFromEnv(env: Record<string, string | undefined> = process.env): ChannelBaseUrls {
  const pick = (name: string, fallback: string): string => {
    const v = env[name]?.trim();
    if (!v) return fallback;
    let parsed: URL;
    try {
      parsed = new URL(v);
    } catch {
      throw new Error(`${name} is not a valid URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`${name} must be an http(s) URL`);
    return withTrailingSlash(v);
  };
  return {
    slackApiUrl: pick('NM_SLACK_API_URL', DEFAULT_SLACK_API_URL),
    dingtalkApiUrl: pick('NM_DINGTALK_API_URL', DEFAULT_DINGTALK_API_URL),
    feishuApiUrl: pick('NM_FEISHU_API_URL', DEFAULT_FEISHU_API_URL),
  };
}
