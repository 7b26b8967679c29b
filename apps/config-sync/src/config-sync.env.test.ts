import { describe, expect, it } from '@jest/globals';
import { parseConfigSyncEnv } from './config-sync.env.js';

const base = { NM_SECRET_KEY: 'config-sync-env-test-key' };

describe('config-sync environment', () => {
  it('uses directory mode with NM_CONFIG_DIR, and Kubernetes mode in a cluster without it', () => {
    expect(parseConfigSyncEnv({ ...base, NM_CONFIG_DIR: '/cfg' }).source).toBe('directory');
    expect(parseConfigSyncEnv({ ...base, NM_CONFIG_DIR: '/cfg', KUBERNETES_SERVICE_HOST: '10.0.0.1' }).source).toBe('directory');
    const k = parseConfigSyncEnv({ ...base, KUBERNETES_SERVICE_HOST: '10.0.0.1' });
    expect(k.source).toBe('kubernetes');
    expect(k.NM_NAMESPACE).toBe('kubesphere-monitoring-system');
    expect(k.NM_LEASE_NAME).toBe('notification-manager-config-sync');
    expect([k.NM_LEASE_DURATION, k.NM_LEASE_RENEW]).toEqual([15_000, 5000]);
  });

  it('NM_CONFIG_SOURCE wins; leases and namespace are configurable', () => {
    const e = parseConfigSyncEnv({ ...base, NM_CONFIG_SOURCE: 'kubernetes', NM_CONFIG_DIR: '/cfg', NM_NAMESPACE: 'nm', NM_LEASE_DURATION: '6s', NM_LEASE_RENEW: '2s' });
    expect([e.source, e.NM_NAMESPACE, e.NM_LEASE_DURATION, e.NM_LEASE_RENEW]).toEqual(['kubernetes', 'nm', 6000, 2000]);
    expect(parseConfigSyncEnv({ ...base, NM_CONFIG_SOURCE: 'directory', NM_CONFIG_DIR: '/cfg', KUBERNETES_SERVICE_HOST: 'x' }).source).toBe('directory');
  });

  it('fails with one line naming the variable', () => {
    expect(() => parseConfigSyncEnv({ ...base })).toThrow(/NM_CONFIG_DIR: .*NM_CONFIG_SOURCE=kubernetes/);
    expect(() => parseConfigSyncEnv({ ...base, NM_CONFIG_SOURCE: 'etcd' })).toThrow(/NM_CONFIG_SOURCE/);
    expect(() => parseConfigSyncEnv({ ...base, NM_CONFIG_SOURCE: 'kubernetes', NM_LEASE_DURATION: 'soon' })).toThrow(/NM_LEASE_DURATION: must be a duration/);
    expect(() => parseConfigSyncEnv({ ...base, NM_CONFIG_SOURCE: 'kubernetes', NM_LEASE_DURATION: '6s', NM_LEASE_RENEW: '5s' })).toThrow(/NM_LEASE_RENEW: must be at most two thirds/);
  });
});
