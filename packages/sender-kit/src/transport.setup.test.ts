import { describe, expect, it } from '@jest/globals';
import { emptySnapshot, type Config, type ConfigSnapshot, type Receiver } from '@nm/model';
import { insecureSkipVerifyCount } from './transport.setup.js';

const receiver = (name: string, spec: Record<string, unknown>): Receiver =>
  ({ apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'Receiver', metadata: { name }, spec }) as unknown as Receiver;
const config = (name: string, spec: Record<string, unknown>): Config =>
  ({ apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'Config', metadata: { name }, spec }) as unknown as Config;

describe('insecureSkipVerifyCount', () => {
  it("counts every insecureSkipVerify: true in the channel's sections of Receivers and Configs", () => {
    const snapshot: ConfigSnapshot = {
      ...emptySnapshot(7),
      receivers: [
        receiver('a', { webhook: { url: 'https://a', httpConfig: { tlsConfig: { insecureSkipVerify: true } } } }),
        receiver('b', { webhook: { url: 'https://b', httpConfig: { tlsConfig: { insecureSkipVerify: false } } } }),
        receiver('c', { email: { to: ['x@example.com'] } }),
      ],
      configs: [config('smtp', { email: { smartHost: { host: 'smtp', port: 25 }, tls: { insecureSkipVerify: true } } })],
    };
    expect(insecureSkipVerifyCount(snapshot, 'webhook')).toBe(1);
    expect(insecureSkipVerifyCount(snapshot, 'email')).toBe(1);
    expect(insecureSkipVerifyCount(snapshot, 'slack')).toBe(0);
  });
});
