import { describe, expect, it } from '@jest/globals';
import { qualifyReferences, referencesOf } from './references.js';

const API = 'notification.kubesphere.io/v2beta2';

const receiver = {
  apiVersion: API,
  kind: 'Receiver',
  metadata: { name: 'r', labels: { type: 'global' } },
  spec: {
    webhook: {
      url: 'http://x',
      httpConfig: { bearerToken: { valueFrom: { secretKeyRef: { name: 'tok', key: 'k' } } } },
      tmplText: { name: 'tpl', namespace: 'other' },
    },
    slack: { channels: ['a'], webhook: { valueFrom: { secretKeyRef: { namespace: 'ns2', name: 'slack', key: 'token' } } } },
  },
};

describe('referencesOf', () => {
  it('finds Secret and ConfigMap references through the schema', () => {
    expect(referencesOf(receiver)).toEqual(
      expect.arrayContaining([
        { kind: 'Secret', namespace: undefined, name: 'tok', path: 'spec.webhook.httpConfig.bearerToken.valueFrom.secretKeyRef' },
        { kind: 'ConfigMap', namespace: 'other', name: 'tpl', path: 'spec.webhook.tmplText' },
        { kind: 'Secret', namespace: 'ns2', name: 'slack', path: 'spec.slack.webhook.valueFrom.secretKeyRef' },
      ]),
    );
    expect(referencesOf(receiver)).toHaveLength(3);
  });

  it('reads the NotificationManager template ConfigMaps and tolerates malformed input', () => {
    const nm = {
      apiVersion: API,
      kind: 'NotificationManager',
      metadata: { name: 'nm' },
      spec: { receivers: { tenantKey: 'user' }, template: { text: { name: 'tmpl' }, languagePack: [{ name: 'zh-cn', namespace: 'ks' }] } },
    };
    expect(referencesOf(nm).map((r) => `${r.kind} ${r.namespace ?? '-'}/${r.name}`).sort()).toEqual(['ConfigMap -/tmpl', 'ConfigMap ks/zh-cn']);
    expect(referencesOf({ apiVersion: API, kind: 'Receiver', metadata: { name: 'x' }, spec: { webhook: { httpConfig: { bearerToken: 'oops' } } } })).toEqual([]);
    expect(referencesOf({ kind: 'Unknown' })).toEqual([]);
    expect(referencesOf(null)).toEqual([]);
  });
});

describe('qualifyReferences', () => {
  it('sets the namespace of references without one, on a copy', () => {
    const q = qualifyReferences(receiver, 'home');
    expect(q.spec.webhook.httpConfig.bearerToken.valueFrom.secretKeyRef).toEqual({ name: 'tok', key: 'k', namespace: 'home' });
    expect(q.spec.webhook.tmplText).toEqual({ name: 'tpl', namespace: 'other' });
    expect(q.spec.slack.webhook.valueFrom.secretKeyRef.namespace).toBe('ns2');
    expect(receiver.spec.webhook.httpConfig.bearerToken.valueFrom.secretKeyRef).toEqual({ name: 'tok', key: 'k' });
  });
});
