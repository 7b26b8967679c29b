/**
 * Email over SMTP (nodemailer). As in notification-manager, each recipient gets a message of its
 * own by default (`delivery: 'single'`: one SMTP session per recipient, so no recipient sees the
 * others in `To:`), and each recipient is a delivery unit of its own, so a retry sends again only
 * to the recipients that did not get it. `delivery: 'bulk'` sends one message to many recipients
 * instead (`batchSize` per message: the target's `maxEmailReceivers`, else the sender's).
 * Unlike notification-manager, TLS certificates are verified unless `insecureSkipVerify` says otherwise.
 * Port 465 is implicit TLS; otherwise STARTTLS is used when offered, and required whenever the
 * Config carries credentials (unless it sets `requireTLS: false` explicitly) or sets `requireTLS`.
 * The connection is opened to an address the egress guard allowed (egress.ts).
 */
import { createHash } from 'node:crypto';
import { connect as netConnect, isIP } from 'node:net';
import { createTransport } from 'nodemailer';
import type { SMTPTransportOptions } from 'nodemailer/lib/smtp-transport';
import { PermanentError } from '@nm/errors';
import { classifySmtpError } from './channel.errors.js';
import type { ChannelSender, OutgoingMessage, SendContext, SendResult } from './channel.types.js';
import { systemClock, type Clock } from './clock.js';
import { runUnits, unitsFor, type InlineRetryPolicy, type UnitSuccess } from './delivery.runner.js';
import { defaultEgressGuard, guardedSocket, type EgressConnector, type EgressGuard } from './egress.js';
import { splitMessage, type MessageChunk } from './message.splitter.js';

export interface EmailTlsConfig {
  /** PEM of the CA(s) to trust instead of the system store. */
  rootCA?: string;
  clientCertificate?: { cert: string; key: string };
  /** Name checked against the certificate (default: the smart host). */
  serverName?: string;
  insecureSkipVerify?: boolean;
}

export interface EmailTransportConfig {
  /** Exactly one RFC 5322 address. */
  from: string;
  smartHost: { host: string; port: number };
  /** HELO/EHLO name. */
  hello?: string;
  authUsername?: string;
  /** PLAIN authorisation identity. */
  authIdentify?: string;
  /** Password for PLAIN / LOGIN (and CRAM-MD5 when no `authSecret`). */
  authPassword?: string;
  /** Shared secret for CRAM-MD5. */
  authSecret?: string;
  /**
   * Require STARTTLS. Unset: required when credentials are configured (they never cross an
   * unencrypted connection), opportunistic otherwise; `false` allows credentials in clear.
   */
  requireTLS?: boolean;
  tls?: EmailTlsConfig;
}

/** How recipients share messages (notification-manager's `deliveryType`). */
export type EmailDelivery = 'single' | 'bulk';

export interface EmailTarget {
  config: EmailTransportConfig;
  to: readonly string[];
  /** `tmplType`: html (default) or text. The rendered title is the subject. */
  format?: 'html' | 'text';
  /**
   * `single` (default): one message per recipient, each recipient a delivery unit. `bulk`: one
   * message to all recipients (in batches of `batchSize`), every recipient listed in `To:`.
   */
  delivery?: EmailDelivery | undefined;
  /** Recipients per message in `bulk` delivery (`options.email.maxEmailReceivers`); default the sender's `batchSize`. */
  batchSize?: number | undefined;
  /** Connection, greeting and socket timeout (`options.email.notificationTimeout`); default the sender's. */
  timeoutMs?: number | undefined;
}

export interface EmailSenderOptions {
  /** Recipients per message (default 100). */
  batchSize?: number;
  /** Connection, greeting and socket timeout (default 10 s). */
  timeoutMs?: number;
  clock?: Clock;
  retry?: Partial<InlineRetryPolicy>;
  concurrency?: number;
  /** The egress guard of the SMTP connections (default: the process's). */
  egressGuard?: EgressGuard;
  /** Opens the connections the guard allowed (tests inject one). */
  connector?: EgressConnector;
}

/** nodemailer options for a Config's `email` section. Exported for tests and diagnostics. */
export function smtpTransportOptions(cfg: EmailTransportConfig, timeoutMs = 10_000): SMTPTransportOptions {
  const { host, port } = cfg.smartHost;
  const tls = cfg.tls ?? {};
  const servername = tls.serverName ?? (isIP(host) ? undefined : host);
  const password = cfg.authPassword ?? cfg.authSecret;
  const identity = cfg.authIdentify;
  const withCredentials = Boolean(cfg.authUsername && password);
  return {
    host,
    port,
    secure: port === 465,
    requireTLS: cfg.requireTLS ?? withCredentials,
    ...(cfg.hello ? { name: cfg.hello } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    tls: {
      rejectUnauthorized: !tls.insecureSkipVerify,
      ...(servername ? { servername } : {}),
      ...(tls.rootCA ? { ca: tls.rootCA } : {}),
      ...(tls.clientCertificate ? { cert: tls.clientCertificate.cert, key: tls.clientCertificate.key } : {}),
    },
    ...(cfg.authUsername && password
      ? {
          auth: {
            user: cfg.authUsername,
            pass: password,
            ...(cfg.authSecret && !cfg.authPassword ? { method: 'CRAM-MD5' } : {}),
          },
        }
      : {}),
    ...(identity
      ? {
          customAuth: {
            // nodemailer's PLAIN leaves the authorisation identity empty; authIdentify needs it
            PLAIN: async (ctx: { sendCommand(cmd: string): Promise<{ status: number; response: string }>; resolve(): void; reject(e: Error): void }) => {
              const token = Buffer.from(`${identity}\u0000${cfg.authUsername ?? ''}\u0000${password ?? ''}`, 'utf8').toString('base64');
              const reply = await ctx.sendCommand(`AUTH PLAIN ${token}`);
              if (reply.status === 235) ctx.resolve();
              else ctx.reject(new Error(`authentication failed: ${reply.response}`));
            },
          },
        }
      : {}),
  };
}

const defaultSmtpConnector: EgressConnector = ({ host, port, family }) => netConnect({ host, port, family });

export class EmailSender implements ChannelSender<EmailTarget> {
  readonly channel = 'email' as const;

  constructor(private readonly opts: EmailSenderOptions = {}) {}

  async send(target: EmailTarget, message: OutgoingMessage, ctx: SendContext = {}): Promise<SendResult> {
    const { config } = target;
    if (!config.from || !config.smartHost?.host || !config.smartHost.port) {
      throw new PermanentError('email: from and smartHost are required', { code: 'email:invalid-config' });
    }
    const size = Math.max(1, Math.floor(target.batchSize ?? this.opts.batchSize ?? 100));
    const timeoutMs = target.timeoutMs ?? this.opts.timeoutMs;
    const batches: string[][] = [];
    if (target.delivery === 'bulk') for (let i = 0; i < target.to.length; i += size) batches.push(target.to.slice(i, i + size));
    else for (const to of new Set(target.to)) batches.push([to]);
    const chunks = splitMessage(message, { maxBytes: Infinity });
    const units = unitsFor(
      batches.map((to) => ({ to })),
      chunks,
      // keyed by the recipients themselves: a retry skips exactly the recipients already served
      ({ to }) => ({ key: to.length === 1 ? `to:${to[0]!.toLowerCase()}` : `bulk:${createHash('sha256').update(to.join('\n').toLowerCase()).digest('hex').slice(0, 16)}`, label: to.join(', ') }),
      ({ to }, chunk) => this.deliver(config, to, target.format ?? 'html', chunk, timeoutMs),
    );
    return runUnits('email', units, ctx, {
      clock: this.opts.clock ?? systemClock,
      ...(this.opts.retry ? { retry: this.opts.retry } : {}),
      ...(this.opts.concurrency ? { concurrency: this.opts.concurrency } : {}),
    });
  }

  private async deliver(cfg: EmailTransportConfig, to: string[], format: 'html' | 'text', chunk: MessageChunk, timeoutMs: number | undefined): Promise<UnitSuccess> {
    const guard = this.opts.egressGuard ?? defaultEgressGuard();
    const connector = this.opts.connector;
    const transport = createTransport({
      ...smtpTransportOptions(cfg, timeoutMs),
      // nodemailer connects (and upgrades to TLS, by the smart host's name) over this socket
      getSocket: (_opts, callback) => {
        guardedSocket(guard, connector ?? defaultSmtpConnector, cfg.smartHost.host, cfg.smartHost.port).then(
          (socket) => {
            if (!socket.connecting) return callback(null, { connection: socket });
            const onError = (err: Error): void => {
              socket.off('connect', onConnect);
              callback(err);
            };
            const onConnect = (): void => {
              socket.off('error', onError);
              callback(null, { connection: socket });
            };
            socket.once('connect', onConnect);
            socket.once('error', onError);
          },
          (err: Error) => callback(err),
        );
      },
    });
    try {
      const info = await transport.sendMail({
        from: cfg.from,
        to,
        subject: chunk.title ?? '',
        ...(format === 'html' ? { html: chunk.body } : { text: chunk.body }),
      });
      const rejected = (info.rejected ?? []).map(String);
      return { upstreamMessageId: info.messageId, ...(rejected.length ? { invalid: rejected } : {}) };
    } catch (err) {
      throw classifySmtpError(err);
    } finally {
      transport.close();
    }
  }
}
