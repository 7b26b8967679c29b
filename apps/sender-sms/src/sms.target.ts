/**
 * Maps a Receiver's sms section and the Config it uses (notification-manager §1.4, §1.5, §3.11)
 * to an `SmsTarget`: the receiver's `phoneNumbers` (trimmed, empty ones left out) and one provider
 * of the Config's `sms.providers`: `defaultProvider` when set (it must be one of aliyun, tencent,
 * huawei, aws and be configured), else the first provider the Config configures, never an
 * arbitrary one. `options.sms.notificationTimeout` becomes the per-request timeout.
 */
import { SMS_PROVIDERS, type SmsProvider, type SmsProviderName, type SmsTarget } from '@nm/channels';
import type { Config, SmsConfig, SmsReceiver } from '@nm/model';
import { configOf, idsOf, requireFields, targetError, textOf, timeoutOf, type DeliveryJob } from '@nm/sender-kit';

const isProvider = (name: string): name is SmsProviderName => (SMS_PROVIDERS as readonly string[]).includes(name);

const numbersOf = (job: DeliveryJob): string[] => idsOf((job.section as SmsReceiver).phoneNumbers);

type Providers = SmsConfig['providers'];

/** The provider name a Config's sms section selects. */
function providerNameOf(job: DeliveryJob, config: Config, section: SmsConfig): SmsProviderName {
  const providers: Record<string, unknown> = section.providers ?? {};
  const configured = Object.keys(providers).filter((k) => isProvider(k) && providers[k] !== null && providers[k] !== undefined);
  const wanted = textOf(section.defaultProvider)?.trim();
  if (wanted !== undefined) {
    if (!isProvider(wanted)) {
      throw targetError(job, 'invalid-config', `Config ${config.metadata.name}: sms.defaultProvider "${wanted}" is not one of ${SMS_PROVIDERS.join(', ')}`);
    }
    if (!configured.includes(wanted)) throw targetError(job, 'invalid-config', `Config ${config.metadata.name}: sms.defaultProvider ${wanted} has no sms.providers.${wanted} section`);
    return wanted;
  }
  const first = configured[0];
  if (first === undefined || !isProvider(first)) {
    throw targetError(job, 'invalid-config', `Config ${config.metadata.name} configures none of sms.providers.${SMS_PROVIDERS.join(', sms.providers.')}`);
  }
  return first;
}

/** The provider of the Config the receiver uses, credentials resolved; missing fields are named. */
export function smsProviderOf(job: DeliveryJob): SmsProvider {
  const { config, section } = configOf(job, job.config?.spec.sms, 'an sms section', 'SMS needs a provider');
  const name = providerNameOf(job, config, section);
  const providers: Providers = section.providers;
  const prefix = `sms.providers.${name}`;
  switch (name) {
    case 'aliyun': {
      const p = providers.aliyun!;
      const f = requireFields(job, config, prefix, {
        signName: textOf(p.signName),
        templateCode: textOf(p.templateCode),
        accessKeyId: job.credential(p.accessKeyId),
        accessKeySecret: job.credential(p.accessKeySecret),
      });
      return { provider: 'aliyun', ...f };
    }
    case 'tencent': {
      const p = providers.tencent!;
      const f = requireFields(job, config, prefix, {
        sign: textOf(p.sign),
        templateID: textOf(p.templateID),
        smsSdkAppid: textOf(p.smsSdkAppid),
        secretId: job.credential(p.secretId),
        secretKey: job.credential(p.secretKey),
      });
      return { provider: 'tencent', sign: f.sign, templateId: f.templateID, smsSdkAppId: f.smsSdkAppid, secretId: f.secretId, secretKey: f.secretKey };
    }
    case 'huawei': {
      const p = providers.huawei!;
      const f = requireFields(job, config, prefix, {
        templateId: textOf(p.templateId),
        sender: textOf(p.sender),
        appKey: job.credential(p.appKey),
        appSecret: job.credential(p.appSecret),
      });
      const url = textOf(p.url)?.trim();
      const signature = textOf(p.signature);
      return { provider: 'huawei', ...f, ...(url ? { url } : {}), ...(signature ? { signature } : {}) };
    }
    case 'aws': {
      const p = providers.aws!;
      const f = requireFields(job, config, prefix, {
        region: textOf(p.region)?.trim(),
        accessKeyId: job.credential(p.accessKeyId),
        secretAccessKey: job.credential(p.secretAccessKey),
      });
      return { provider: 'aws', ...f };
    }
  }
}

/** The SMS target of a job; no phone number, no usable Config or provider is a PermanentError. */
export function smsTargetOf(job: DeliveryJob): SmsTarget {
  const phoneNumbers = numbersOf(job);
  if (phoneNumbers.length === 0) throw targetError(job, 'no-destination', 'sms.phoneNumbers is empty');
  return { provider: smsProviderOf(job), phoneNumbers, ...timeoutOf(job) };
}

/** Secret-free destination of a job that failed before any unit was tried. */
export function describeSmsDestination(job: DeliveryJob): string {
  return numbersOf(job).join(' ');
}
