import { describe, expect, it } from '@jest/globals';
import { referencesOf } from './references.js';
import { templateFilesOf } from './template.files.js';
import type { Problem } from './problem.js';
import { validateManifest, validateReferences, type CrdObject } from './validate.js';

const spec = (templateFile: unknown[], volumes: unknown[] = [], volumeMounts: unknown[] = []) => ({
  receivers: { tenantKey: 'user', options: { global: { templateFile } } },
  volumes,
  volumeMounts,
});
const VOL = [
  { name: 'tmpl', configMap: { name: 'notification-manager-template' } },
  { name: 'items', configMap: { name: 'picked', items: [{ key: 'real-key', path: 'shown/as.tmpl' }] } },
  { name: 'empty', emptyDir: {} },
];
const MOUNTS = [
  { name: 'tmpl', mountPath: '/etc/notification-manager/' },
  { name: 'items', mountPath: '/etc/notification-manager/extra' },
  { name: 'tmpl', mountPath: '/etc/single', subPath: 'zh' },
  { name: 'empty', mountPath: '/scratch' },
];

describe('templateFilesOf', () => {
  it('maps paths to the ConfigMap and key mounted there (longest mount, items, subPath)', () => {
    const refs = templateFilesOf(spec(['/etc/notification-manager/template', '/etc/notification-manager/extra/shown/as.tmpl', '/etc/single'], VOL, MOUNTS));
    expect(refs.map((r) => r.configMap)).toEqual([
      { name: 'notification-manager-template', key: 'template' },
      { name: 'picked', key: 'real-key' },
      { name: 'notification-manager-template', key: 'zh' },
    ]);
    expect(refs.every((r) => r.problem === undefined)).toBe(true);
  });

  it('says why a path cannot be read', () => {
    const problems = templateFilesOf(spec(['relative/file', '/opt/none', '/scratch/t', '/etc/notification-manager', '/etc/notification-manager/extra/unlisted', '/etc/notification-manager/a/b'], VOL, MOUNTS)).map((r) => r.problem);
    expect(problems).toEqual([
      '"relative/file" is not an absolute path',
      '/opt/none is not inside any of spec.volumeMounts, so nothing here can read it: put the template in a ConfigMap and name it in spec.template.text',
      '/scratch/t is mounted from volume empty, which is not a ConfigMap volume: put the template in a ConfigMap and name it in spec.template.text',
      '/etc/notification-manager is the directory ConfigMap notification-manager-template is mounted at, not one of its files',
      '/etc/notification-manager/extra/unlisted is no key of ConfigMap picked as volume items mounts it: put the template in a ConfigMap and name it in spec.template.text',
      '/etc/notification-manager/a/b is no key of ConfigMap notification-manager-template as volume tmpl mounts it: put the template in a ConfigMap and name it in spec.template.text',
    ]);
  });

  it('validation warns about unreadable paths and missing ConfigMaps; the ConfigMap is a reference config-sync mirrors', () => {
    const nm = { apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'NotificationManager', metadata: { name: 'nm' }, spec: spec(['/etc/notification-manager/template', '/opt/none'], VOL.slice(0, 1), MOUNTS.slice(0, 1)) };
    const brief = (ps: Problem[]) => ps.filter((p) => p.field.includes('templateFile')).map((p) => `${p.severity} ${p.field}: ${p.message}`);
    expect(brief(validateManifest(nm).problems)).toEqual([
      'warning spec.receivers.options.global.templateFile[1]: not loaded: /opt/none is not inside any of spec.volumeMounts, so nothing here can read it: put the template in a ConfigMap and name it in spec.template.text',
    ]);
    expect(referencesOf(nm)).toContainEqual({ kind: 'ConfigMap', namespace: undefined, name: 'notification-manager-template', path: 'spec.receivers.options.global.templateFile[0]' });
    const obj = nm as unknown as CrdObject;
    expect(brief(validateReferences([obj], { secrets: {}, configMaps: {}, defaultNamespace: 'kubesphere-monitoring-system' }))).toEqual([
      'warning spec.receivers.options.global.templateFile[0]: /etc/notification-manager/template: ConfigMap kubesphere-monitoring-system/notification-manager-template not found',
    ]);
    expect(brief(validateReferences([obj], { secrets: {}, configMaps: { 'kubesphere-monitoring-system/notification-manager-template': { other: '' } }, defaultNamespace: 'kubesphere-monitoring-system' }))).toEqual([
      'warning spec.receivers.options.global.templateFile[0]: /etc/notification-manager/template: ConfigMap kubesphere-monitoring-system/notification-manager-template has no key template',
    ]);
    expect(brief(validateReferences([obj], { secrets: {}, configMaps: { 'kubesphere-monitoring-system/notification-manager-template': { template: '' } }, defaultNamespace: 'kubesphere-monitoring-system' }))).toEqual([]);
  });
});
