import { describe, expect, it } from '@jest/globals';
import { emptySnapshot, type ConfigSnapshot, type NotificationManager } from '@nm/model';
import { RevisionCache } from './revision.cache.js';

const nm = (spec: Record<string, unknown>): NotificationManager =>
  ({ apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'NotificationManager', metadata: { name: 'nm' }, spec: { receivers: { tenantKey: 'namespace' }, defaultSecretNamespace: 'ops', ...spec } });

/** notification-manager's usual setup: the template ConfigMap mounted at /etc/notification-manager/ and named by templateFile. */
const mounted = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  receivers: { tenantKey: 'namespace', options: { global: { templateFile: ['/etc/notification-manager/template'] } } },
  volumes: [{ name: 'tmpl', configMap: { name: 'notification-manager-template' } }],
  volumeMounts: [{ name: 'tmpl', mountPath: '/etc/notification-manager/' }],
  ...extra,
});

describe('RevisionCache: options.global.templateFile', () => {
  it('loads the file from the ConfigMap its volume mounts, under spec.template.text', () => {
    const snap: ConfigSnapshot = {
      ...emptySnapshot(3),
      notificationManager: nm(mounted({ template: { text: { name: 'overrides', namespace: 'ops' } } })),
      configMaps: {
        'ops/notification-manager-template': { template: '{{ define "from.file" }}file {{ .Status }}{{ end }}{{ define "both" }}file{{ end }}' },
        'ops/overrides': { other: '{{ define "both" }}text{{ end }}' },
      },
    };
    const registry = new RevisionCache().of(snap).registry();
    expect(registry.has('from.file')).toBe(true);
    // spec.template.text is parsed on top of the files, as in notification-manager
    expect(registry.resolve('both')).toMatchObject({ source: 'configmap ops/overrides' });
  });

  it('a mounted ConfigMap that is missing is reported, and the built-in templates still work', () => {
    const missing: string[] = [];
    const registry = new RevisionCache({ onMissingConfigMap: (_r, ref) => missing.push(ref) }).of({ ...emptySnapshot(4), notificationManager: nm(mounted()) }).registry();
    expect(missing).toEqual(['configmap ops/notification-manager-template']);
    expect(registry.has('from.file')).toBe(false);
    expect(registry.has('nm.default.text')).toBe(true);
  });
});
