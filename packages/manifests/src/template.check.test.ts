import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

  it('reports the Go template and the parse error with ConfigMap, key and line; the good key passes', async () => {
    const { problems, objects } = await loadManifests([dir]);
    const lines = problems.map(formatProblem);
    expect(lines.filter((l) => l.includes('data.ops.good'))).toEqual([]);
    const go = lines.find((l) => l.includes('data.ops.go'));
    expect(go).toMatch(/^error .*all\.yaml ConfigMap\/global-templates data\.ops\.go: .*configmap ops\/global-templates.*ops\.go.*line 2/);
    expect(go).toContain('docs/templates.md');
    expect(lines.find((l) => l.includes('data.ops.broken'))).toMatch(/^error .*ConfigMap\/global-templates data\.ops\.broken: .*line 1/);
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'NotificationManager', 'Receiver']);
  });
});
