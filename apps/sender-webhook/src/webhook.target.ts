/**
 * Maps a Receiver's webhook section (notification-manager §1.4, §3.7) to a request target: URL or
 * service reference, method, headers, credentials resolved from Secrets (bearer token, basic auth,
 * TLS), and `options.webhook.notificationTimeout` as the timeout. Webhooks need no Config.
 */
import { DEFAULT_WEBHOOK_TIMEOUT_MS, redactUrl, webhookUrl, type WebhookTarget } from '@nm/channels';
import type { WebhookReceiver } from '@nm/model';
import { targetError, type DeliveryJob } from '@nm/sender-kit';

/** The request target of a job: the receiver's webhook section with its credentials resolved. */
export function webhookTargetOf(job: DeliveryJob): WebhookTarget {
  const section = job.section as WebhookReceiver;
  const http = section.httpConfig;
  const tls = http?.tlsConfig;
  const cert = job.credential(tls?.clientCertificate?.cert);
  const key = job.credential(tls?.clientCertificate?.key);
  if ((cert === undefined) !== (key === undefined)) throw targetError(job, 'invalid-tls', 'tlsConfig.clientCertificate needs both cert and key');
  return {
    url: section.url,
    service: section.service,
    method: section.method,
    headers: section.headers,
    timeoutMs: job.notificationTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
    ...(http
      ? {
          httpConfig: {
            bearerToken: job.credential(http.bearerToken),
            basicAuth: http.basicAuth ? { username: http.basicAuth.username, password: job.credential(http.basicAuth.password) } : undefined,
            proxyUrl: http.proxyUrl,
            tlsConfig: tls
              ? {
                  rootCA: job.credential(tls.rootCA),
                  clientCertificate: cert !== undefined && key !== undefined ? { cert, key } : undefined,
                  serverName: tls.serverName,
                  insecureSkipVerify: tls.insecureSkipVerify,
                }
              : undefined,
          },
        }
      : {}),
  };
}

/** Secret-free destination of a job that failed before any unit was tried. */
export function describeWebhookDestination(job: DeliveryJob): string {
  return redactUrl(webhookUrl(job.section as WebhookReceiver));
}
