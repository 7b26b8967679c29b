import { describe, expect, it } from '@jest/globals';
import { byKind, helm, render, valuesFile, CHART, type K8sObject } from './helm.support.js';

/** The senders' egress settings in the chart: every sender gets the deny/allow lists, the caps and ingest's Service URL. */
type Container = { env?: Array<{ name: string; value?: string }> };
const envOf = (d: K8sObject): Record<string, string | undefined> =>
  Object.fromEntries(((d['spec'] as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]!.env ?? []).map((e) => [e.name, e.value]));
const component = (o: K8sObject): string => o.metadata.labels?.['app.kubernetes.io/component'] ?? '';

describe('egress settings in the chart', () => {
  it('deny loopback and the cluster ranges by default, on every sender and only there, with ingest refused by its Service', () => {
    const deployments = byKind(render().objects, 'Deployment');
    const senders = deployments.filter((d) => component(d).startsWith('sender-'));
    expect(senders.length).toBeGreaterThanOrEqual(6);
    for (const d of senders) {
      const env = envOf(d);
      const deny = (env['NM_EGRESS_DENY'] ?? '').split(',');
      expect([component(d), deny]).toEqual([component(d), expect.arrayContaining(['127.0.0.0/8', '::1/128', '10.96.0.0/12', '10.233.0.0/18', '10.233.64.0/18'])]);
      expect(env).toMatchObject({
        NM_EGRESS_ALLOW: '',
        NM_RETRY_AFTER_MAX: '5m',
        NM_HTTP_MAX_RESPONSE_BYTES: '1048576',
        NM_INGEST_URL: 'http://notification-manager-svc.monitoring.svc:19093',
      });
    }
    for (const d of deployments.filter((o) => !component(o).startsWith('sender-'))) expect(envOf(d)['NM_EGRESS_DENY']).toBeUndefined();
  });

  it('takes the lists and caps from values', () => {
    const values = { egress: { deny: ['10.0.0.0/8'], allow: ['10.1.2.3/32', 'fd00::/8'], retryAfterMax: '90s', maxResponseBytes: 65536 } };
    const sender = byKind(render({ values }).objects, 'Deployment').find((d) => component(d) === 'sender-webhook')!;
    expect(envOf(sender)).toMatchObject({ NM_EGRESS_DENY: '10.0.0.0/8', NM_EGRESS_ALLOW: '10.1.2.3/32,fd00::/8', NM_RETRY_AFTER_MAX: '90s', NM_HTTP_MAX_RESPONSE_BYTES: '65536' });
  });

  it('refuses values that are not CIDRs or durations', () => {
    for (const egress of [{ deny: ['not a cidr'] }, { retryAfterMax: 'soon' }, { maxResponseBytes: 10 }]) {
      const r = helm(['template', 'nm', CHART, '-f', valuesFile({ egress })]);
      expect([JSON.stringify(egress), r.status]).not.toEqual([JSON.stringify(egress), 0]);
    }
  });
});
