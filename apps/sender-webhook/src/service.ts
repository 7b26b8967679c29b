/**
 * The webhook sender service: the generic sender of `@nm/sender-kit` with `WebhookSender`.
 * A Receiver's webhook section becomes a request target here (credentials resolved from Secrets,
 * `options.webhook.notificationTimeout` as the timeout); the kit does dedup, history and retries.
 */
import { PermanentError } from '@nm/bus';
import {
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  WebhookSender,
  redactUrl,
  webhookUrl,
  type WebhookSenderOptions,
  type WebhookTarget,
} from '@nm/channels';
import type { WebhookReceiver } from '@nm/model';
import { startSender, type DeliveryJob, type SenderHandle, type SenderServiceOptions } from '@nm/sender-kit';
import type { Runtime } from '@nm/service-kit';

export interface WebhookServiceOptions extends SenderServiceOptions {
  /** Options of the HTTP sender (inline retries, clock, axios instance). */
  sender?: WebhookSenderOptions;
}

/** The request target of a job: the receiver's webhook section with its credentials resolved. */
export function webhookTargetOf(job: DeliveryJob): WebhookTarget {
  const section = job.section as WebhookReceiver;
  const http = section.httpConfig;
  const tls = http?.tlsConfig;
  const cert = job.credential(tls?.clientCertificate?.cert);
  const key = job.credential(tls?.clientCertificate?.key);
  if ((cert === undefined) !== (key === undefined)) {
    throw new PermanentError(`receiver ${job.receiver.metadata.name}: tlsConfig.clientCertificate needs both cert and key`, {
      code: 'webhook:invalid-tls',
    });
  }
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

export async function startWebhookSender(rt: Runtime, opts: WebhookServiceOptions = {}): Promise<SenderHandle> {
  const describeDestination = (job: DeliveryJob): string => redactUrl(webhookUrl(job.section as WebhookReceiver));
  return startSender(rt, { sender: new WebhookSender(opts.sender), targetOf: webhookTargetOf, describeDestination }, opts);
}
