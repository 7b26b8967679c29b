import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProblem, loadManifests } from './index.js';

describe('template ConfigMaps are checked at config time', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nm-tpl-'));
    writeFileSync(
      join(dir, 'all.yaml'),
      `apiVersion: notification.kubesphere.io/v2beta2
kind: NotificationManager
metadata: {name: nm}
spec:
  receivers: {tenantKey: namespace}
  template:
    text: {name: global-templates, namespace: ops}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: global-templates, namespace: ops}
data:
  ops.good: "{{#alerts}}{{labels.alertname}}{{/alerts}}"
  ops.go: |
    first line
    {{ range .Alerts }}{{ .Labels.alertname }}{{ end }}
  ops.go-defines: |
    {{ define "ops.subject" }}{{ len .Alerts }} alerts{{ end }}
    {{ define "ops.body" }}{{ range .Alerts }}{{ . | message }}{{ end }}{{ end }}
  ops.go-unsupported: |
    {{ define "ops.bad" }}
      {{ .StartsAt | humanize }}
    {{ end }}
  ops.broken: "{{#alerts}}unclosed"
---
apiVersion: notification.kubesphere.io/v2beta2
kind: Receiver
metadata: {name: r, labels: {type: global}}
spec:
  webhook:
    url: http://x
    template: ops.good
    tmplText: {name: global-templates, namespace: ops, key: ops.good}
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts Go templates, reports unsupported Go constructs and mustache parse errors with ConfigMap, key and line', async () => {
    const { problems, objects } = await loadManifests([dir]);
    const lines = problems.map(formatProblem);
    expect(lines.filter((l) => /data\.ops\.(good|go|go-defines):/.test(l))).toEqual([]);
    const unsupported = lines.find((l) => l.includes('data.ops.go-unsupported'));
    expect(unsupported).toMatch(/^error .*all\.yaml ConfigMap\/global-templates data\.ops\.go-unsupported: configmap ops\/global-templates key "ops\.go-unsupported" line 2 col 18: Go template: function "humanize" not defined/);
    expect(unsupported).toContain('docs/templates.md#go-templates');
    expect(lines.find((l) => l.includes('data.ops.broken'))).toMatch(/^error .*ConfigMap\/global-templates data\.ops\.broken: .*line 1/);
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'NotificationManager', 'Receiver']);
  });

  it("loads notification-manager's own template ConfigMap (template.yaml) without problems", async () => {
    const sample = mkdtempSync(join(tmpdir(), 'nm-tpl-sample-'));
    writeFileSync(
      join(sample, 'nm.yaml'),
      `apiVersion: notification.kubesphere.io/v2beta2
kind: NotificationManager
metadata: {name: notification-manager}
spec:
  receivers: {tenantKey: user}
  template:
    text: {name: notification-manager-template, namespace: kubesphere-monitoring-system}
`,
    );
    copyFileSync(new URL('../../templates/src/test-support/fixtures/nm-template.yaml', import.meta.url), join(sample, 'template.yaml'));
    const { problems, objects } = await loadManifests([sample]);
    expect(problems.filter((p) => p.kind === 'ConfigMap').map(formatProblem)).toEqual([]);
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'NotificationManager']);
    rmSync(sample, { recursive: true, force: true });
  });
});
