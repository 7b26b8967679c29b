/**
 * Maps a Receiver's email section and the Config it uses (notification-manager §1.4, §1.5, §3.1)
 * to an `EmailTarget`: SMTP settings and credentials from the Config's `email` section, recipients
 * from the receiver's `to`, and the body format from `tmplType` (receiver, then
 * `options.email.tmplType`, then html). Each recipient gets a message of its own unless the
 * receiver's `deliveryType` (else `options.email.deliveryType`) is `bulk`: then one message goes to
 * all, `options.email.maxEmailReceivers` recipients per message. `options.email.notificationTimeout`
 * sets the SMTP timeouts, per notification.
 */
import type { EmailDelivery, EmailTarget, EmailTlsConfig } from '@nm/channels';
import type { EmailReceiver, TLSConfig } from '@nm/model';
import { configOf, idsOf, targetError, timeoutOf, tmplTypeOf, type DeliveryJob } from '@nm/sender-kit';

const recipientsOf = (job: DeliveryJob): string[] => idsOf((job.section as EmailReceiver).to);

/** The template type rendering uses: the receiver's, else the channel option's, else the channel default. */
export function emailFormatOf(job: DeliveryJob): 'html' | 'text' {
  return tmplTypeOf(job) === 'text' ? 'text' : 'html';
}

function tlsOf(job: DeliveryJob, tls: TLSConfig | undefined): EmailTlsConfig | undefined {
  if (!tls) return undefined;
  const cert = job.credential(tls.clientCertificate?.cert);
  const key = job.credential(tls.clientCertificate?.key);
  if ((cert === undefined) !== (key === undefined)) {
    throw targetError(job, 'invalid-tls', `Config ${job.config?.metadata.name ?? ''} email.tls.clientCertificate needs both cert and key`);
  }
  const rootCA = job.credential(tls.rootCA);
  return {
    ...(rootCA !== undefined ? { rootCA } : {}),
    ...(cert !== undefined && key !== undefined ? { clientCertificate: { cert, key } } : {}),
    ...(tls.serverName ? { serverName: tls.serverName } : {}),
    ...(tls.insecureSkipVerify !== undefined ? { insecureSkipVerify: tls.insecureSkipVerify } : {}),
  };
}

/** `options.email.maxEmailReceivers` when it is a positive integer. */
function maxReceiversOf(job: DeliveryJob): number | undefined {
  const v = job.channelOptions?.['maxEmailReceivers'];
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/** `single` unless the receiver's `deliveryType`, else `options.email.deliveryType`, says `bulk` (any case). */
export function emailDeliveryOf(job: DeliveryJob): EmailDelivery {
  const own = (job.section as EmailReceiver).deliveryType;
  const option = job.channelOptions?.['deliveryType'];
  const chosen = own ?? (typeof option === 'string' ? option : undefined);
  return chosen?.toLowerCase() === 'bulk' ? 'bulk' : 'single';
}

/** The SMTP target of a job; a missing Config or an empty `to` is a PermanentError naming the receiver. */
export function emailTargetOf(job: DeliveryJob): EmailTarget {
  const to = recipientsOf(job);
  if (to.length === 0) throw targetError(job, 'no-recipient', 'email.to names no recipient');
  const { section: cfg } = configOf(job, job.config?.spec.email, 'an email section', 'email needs from and smartHost');
  const authPassword = job.credential(cfg.authPassword);
  const authSecret = job.credential(cfg.authSecret);
  const tls = tlsOf(job, cfg.tls);
  const batchSize = maxReceiversOf(job);
  return {
    config: {
      from: cfg.from,
      smartHost: { host: cfg.smartHost.host, port: cfg.smartHost.port },
      ...(cfg.hello ? { hello: cfg.hello } : {}),
      ...(cfg.authUsername ? { authUsername: cfg.authUsername } : {}),
      ...(cfg.authIdentify ? { authIdentify: cfg.authIdentify } : {}),
      ...(authPassword !== undefined ? { authPassword } : {}),
      ...(authSecret !== undefined ? { authSecret } : {}),
      ...(cfg.requireTLS !== undefined ? { requireTLS: cfg.requireTLS } : {}),
      ...(tls ? { tls } : {}),
    },
    to,
    format: emailFormatOf(job),
    delivery: emailDeliveryOf(job),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...timeoutOf(job),
  };
}

/** Secret-free destination of a job that failed before any unit was tried. */
export function describeEmailDestination(job: DeliveryJob): string {
  return recipientsOf(job).join(', ');
}
