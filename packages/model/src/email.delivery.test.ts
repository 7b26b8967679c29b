import { describe, expect, it } from '@jest/globals';
import { validateManifest } from './validate.js';

const API = 'notification.kubesphere.io/v2beta2';
const brief = (r: ReturnType<typeof validateManifest>) => r.problems.map((p) => `${p.severity} ${p.field}: ${p.message}`);

describe('email deliveryType', () => {
  it('a Receiver takes single or bulk and refuses anything else, naming the field', () => {
    const receiver = (deliveryType: unknown) => ({ apiVersion: API, kind: 'Receiver', metadata: { name: 'r' }, spec: { email: { to: ['a@example.com'], deliveryType } } });
    expect(validateManifest(receiver('single')).problems).toEqual([]);
    expect(validateManifest(receiver('bulk')).problems).toEqual([]);
    const bad = validateManifest(receiver('everyone'));
    expect(bad.object).toBeUndefined();
    expect(brief(bad).join('\n')).toContain('spec.email.deliveryType');
  });

  it("the NotificationManager's options.email.deliveryType (notification-manager's bulk or single, any case) warns on other values", () => {
    const nm = (deliveryType: string) => ({ apiVersion: API, kind: 'NotificationManager', metadata: { name: 'nm' }, spec: { receivers: { tenantKey: 'user', options: { email: { deliveryType } } } } });
    expect(validateManifest(nm('Bulk')).problems).toEqual([]);
    expect(brief(validateManifest(nm('all')))).toEqual([
      'warning spec.receivers.options.email.deliveryType: "all" is neither single nor bulk; each recipient gets a message of its own (single)',
    ]);
  });
});
