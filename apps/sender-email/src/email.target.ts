/**
 * Maps a Receiver's email section and the Config it uses (notification-manager §1.4, §1.5, §3.1)
 * to an `EmailTarget`: SMTP settings and credentials from the Config's `email` section, recipients
 * from the receiver's `to`, and the body format from `tmplType` (receiver, then
 * `options.email.tmplType`, then html). `options.email.maxEmailReceivers` sets the recipients per
 * message and `options.email.notificationTimeout` the SMTP timeouts, per notification.
 */
import { PermanentError } from '@nm/errors';
import type { EmailTarget, EmailTlsConfig } from '@nm/channels';
import type { EmailReceiver, TLSConfig } from '@nm/model';
import type { DeliveryJob } from '@nm/sender-kit';
import { channelFormat } from '@nm/templates';

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

const recipientsOf = (job: DeliveryJob): string[] =>
  ((job.section as EmailReceiver).to ?? []).map((a) => a.trim()).filter((a) => a !== '');

/** The template type rendering uses: the receiver's, else the channel option's, else the channel default. */
export function emailFormatOf(job: DeliveryJob): 'html' | 'text' {
  const type = channelFormat('email', text(job.section['tmplType']) ?? text(job.channelOptions?.['tmplType'])).tmplType;
  return type === 'text' ? 'text' : 'html';
}

function tlsOf(job: DeliveryJob, tls: TLSConfig | undefined): EmailTlsConfig | undefined {
  if (!tls) return undefined;
  const cert = job.credential(tls.clientCertificate?.cert);
  const key = job.credential(tls.clientCertificate?.key);
  if ((cert === undefined) !== (key === undefined)) {
    throw new PermanentError(`receiver ${job.receiver.metadata.name}: Config ${job.config?.metadata.name ?? ''} email.tls.clientCertificate needs both cert and key`, {
      code: 'email:invalid-tls',
    });
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

/** The SMTP target of a job; a missing Config or an empty `to` is a PermanentError naming the receiver. */
export function emailTargetOf(job: DeliveryJob): EmailTarget {
  const name = job.receiver.metadata.name;
  const to = recipientsOf(job);
  if (to.length === 0) throw new PermanentError(`receiver ${name}: email.to names no recipient`, { code: 'email:no-recipient' });
  const cfg = job.config?.spec.email;
  if (!job.config || !cfg) {
    throw new PermanentError(`receiver ${name}: no Config with an email section qualifies (email needs from and smartHost)`, { code: 'email:no-config' });
  }
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
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(job.notificationTimeoutMs !== undefined ? { timeoutMs: job.notificationTimeoutMs } : {}),
  };
}

/** Secret-free destination of a job that failed before any unit was tried. */
export function describeEmailDestination(job: DeliveryJob): string {
  return recipientsOf(job).join(', ');
}
