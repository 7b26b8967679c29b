import { describe, expect, it } from '@jest/globals';
import { parseEnv } from '@nm/telemetry';
import { EventExporterEnvSchema, eventExporterOptionsFromEnv } from './event-exporter.env.js';

const parse = (env: Record<string, string>) => eventExporterOptionsFromEnv(parseEnv(EventExporterEnvSchema, env));

describe('event exporter environment', () => {
  it('defaults: core/v1, one alert per event per 5 minutes, 1 hour of history, its own Lease', () => {
    expect(parse({})).toEqual({
      apis: ['core/v1'],
      intervalMs: 300_000,
      maxAgeMs: 3_600_000,
      flushMs: 200,
      namespace: 'kubesphere-monitoring-system',
      lease: { name: 'notification-manager-event-exporter', durationMs: 15_000, renewMs: 5000 },
    });
  });

  it('both APIs, durations, lease', () => {
    const o = parse({ NM_EVENTS_API: 'both', NM_EVENTS_INTERVAL: '30s', NM_EVENTS_MAX_AGE: '2h', NM_NAMESPACE: 'nm', NM_EVENTS_LEASE_NAME: 'ev', NM_LEASE_DURATION: '6s', NM_LEASE_RENEW: '2s' });
    expect(o).toMatchObject({ apis: ['core/v1', 'events.k8s.io/v1'], intervalMs: 30_000, maxAgeMs: 7_200_000, namespace: 'nm', lease: { name: 'ev', durationMs: 6000, renewMs: 2000 } });
  });

  it('refuses what it cannot use, naming the variable', () => {
    expect(() => parse({ NM_EVENTS_API: 'v1' })).toThrow(/NM_EVENTS_API/);
    expect(() => parse({ NM_EVENTS_INTERVAL: 'often' })).toThrow(/NM_EVENTS_INTERVAL: must be a duration/);
    expect(() => parse({ NM_EVENTS_MAX_AGE: '10s' })).toThrow(/NM_EVENTS_MAX_AGE: must be at least 1m/);
    expect(() => parse({ NM_LEASE_DURATION: '6s', NM_LEASE_RENEW: '5s' })).toThrow(/NM_LEASE_RENEW: must be at most two thirds/);
  });
});
