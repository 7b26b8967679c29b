// Render cost per alert of notification-manager's Go templates (its notification-manager-template
// ConfigMap) beside the mustache built-ins, for the same notification and channel.
// Runs against the built package: `npm run build && npm run bench:templates` in packages/templates
// (BENCH_ALERTS, BENCH_ITERATIONS to change the size).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parse as parseYaml } from 'yaml';
import { createTemplateRegistry, renderNotification } from '../dist/index.js';

const ALERTS = Number(process.env.BENCH_ALERTS ?? 100);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);

const goConfigMap = parseYaml(readFileSync(new URL('../src/test-support/fixtures/nm-template.yaml', import.meta.url), 'utf8'));

function makeAlerts(n) {
  return Array.from({ length: n }, (_, i) => ({
    id: `alert-${i}`,
    status: i % 5 === 0 ? 'resolved' : 'firing',
    labels: {
      alertname: 'CPUThrottlingHigh',
      container: `container-${i % 7}`,
      namespace: 'kube-system',
      pod: `pod-${i}-5d9c7b8f4-x2kq9`,
      prometheus: 'kubesphere-monitoring-system/k8s',
      severity: 'warning',
      cluster: 'host',
      rule_id: `rule-${i}`,
    },
    annotations: {
      message: `${(20 + (i % 60)).toFixed(2)}% throttling of CPU in namespace kube-system for container container-${i % 7} in pod pod-${i}.`,
      runbook_url: 'https://github.com/kubernetes-monitoring/kubernetes-mixin/tree/master/runbook.md#alert-name-cputhrottlinghigh',
      summaryCn: `容器 CPU 限流 ${i}`,
    },
    startsAt: new Date(Date.UTC(2024, 6, 1, 0, i % 60, i % 60)).toISOString(),
    endsAt: i % 5 === 0 ? new Date(Date.UTC(2024, 6, 1, 2, 0, 0)).toISOString() : '0001-01-01T00:00:00Z',
    generatorURL: `http://prometheus-k8s-0:9090/graph?g0.expr=up&i=${i}`,
    fingerprint: i.toString(16).padStart(16, '0'),
  }));
}

const mustache = createTemplateRegistry({ timeZone: 'Asia/Shanghai' });
const go = createTemplateRegistry({
  globalTexts: [{ source: 'configmap kubesphere-monitoring-system/notification-manager-template', data: goConfigMap.data }],
  timeZone: 'Asia/Shanghai',
});
if (go.problems.length > 0) throw new Error(`the Go template ConfigMap has problems: ${go.problems.map((p) => p.message).join('; ')}`);

const alerts = makeAlerts(ALERTS);
const base = {
  alerts,
  groupLabels: { alertname: 'CPUThrottlingHigh', namespace: 'kube-system' },
  receiver: { name: 'bench', tenant: 'kube-system' },
  externalURL: 'http://alertmanager:9093',
};

const cases = [
  ['slack nm.default.text', { channel: 'slack' }],
  ['wechat nm.default.markdown (zh-cn)', { channel: 'wechat', tmplType: 'markdown', language: 'zh-cn' }],
  ['email nm.default.html + subject', { channel: 'email' }],
  ['email nm.html + nm.subject', { channel: 'email', templates: { receiver: { template: 'nm.html', subjectTemplate: 'nm.subject' } } }],
  ['feishu nm.feishu.post', { channel: 'feishu' }],
];

function measure(registry, input) {
  for (let i = 0; i < 20; i++) renderNotification(registry, input);
  const start = performance.now();
  let bytes = 0;
  for (let i = 0; i < ITERATIONS; i++) bytes += renderNotification(registry, input).body.length;
  const msPerRender = (performance.now() - start) / ITERATIONS;
  return { usPerAlert: (msPerRender * 1000) / ALERTS, msPerRender, bytes: Math.round(bytes / ITERATIONS) };
}

console.log(`rendering a ${ALERTS}-alert notification, ${ITERATIONS} iterations per case (µs per alert; ms per rendering; body size)`);
console.log(`${'case'.padEnd(36)} ${'mustache built-in'.padStart(28)} ${'Go (notification-manager-template)'.padStart(36)}  ratio`);
for (const [name, extra] of cases) {
  const input = { ...base, ...extra };
  const m = measure(mustache.registry, input);
  const g = measure(go.registry, input);
  const cell = (r) => `${r.usPerAlert.toFixed(1).padStart(6)} µs ${r.msPerRender.toFixed(2).padStart(7)} ms ${String(r.bytes).padStart(7)} B`;
  console.log(`${name.padEnd(36)} ${cell(m).padStart(28)} ${cell(g).padStart(36)}  ${(g.usPerAlert / m.usPerAlert).toFixed(2)}x`);
}
