// Cost of rendering one 100-alert notification, per alert, for each built-in format.
// Runs against the built package: `npx tsc -p tsconfig.build.json && node bench/render.bench.mjs`.
import { performance } from 'node:perf_hooks';
import { createTemplateRegistry, renderNotification } from '../dist/index.js';

const ALERTS = Number(process.env.BENCH_ALERTS ?? 100);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const BUDGET_MS_PER_ALERT = 1;

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

const { registry } = createTemplateRegistry({ timeZone: 'Asia/Shanghai' });
const alerts = makeAlerts(ALERTS);
const base = {
  alerts,
  groupLabels: { alertname: 'CPUThrottlingHigh', namespace: 'kube-system' },
  receiver: { name: 'bench', tenant: 'kube-system' },
  externalURL: 'http://alertmanager:9093',
};

const cases = [
  ['slack nm.default.text (English)', { channel: 'slack' }],
  ['wechat nm.default.markdown (zh-cn)', { channel: 'wechat', tmplType: 'markdown', language: 'zh-cn' }],
  ['email nm.default.html + subject', { channel: 'email' }],
  ['email nm.html + nm.subject', { channel: 'email', templates: { receiver: { template: 'nm.html', subjectTemplate: 'nm.subject' } } }],
  ['feishu nm.feishu.post', { channel: 'feishu' }],
  ['webhook JSON body', { channel: 'webhook' }],
];

let worst = 0;
console.log(`rendering a ${ALERTS}-alert group, ${ITERATIONS} iterations per case`);
for (const [name, extra] of cases) {
  const input = { ...base, ...extra };
  for (let i = 0; i < 20; i++) renderNotification(registry, input);
  const start = performance.now();
  let bytes = 0;
  for (let i = 0; i < ITERATIONS; i++) bytes += renderNotification(registry, input).body.length;
  const msPerRender = (performance.now() - start) / ITERATIONS;
  const usPerAlert = (msPerRender * 1000) / ALERTS;
  worst = Math.max(worst, usPerAlert);
  console.log(
    `${name.padEnd(38)} ${msPerRender.toFixed(3).padStart(8)} ms/render  ${usPerAlert.toFixed(1).padStart(7)} µs/alert  ${Math.round(bytes / ITERATIONS)} bytes`,
  );
}
console.log(`worst: ${worst.toFixed(1)} µs per alert (budget ${BUDGET_MS_PER_ALERT * 1000} µs)`);
if (worst >= BUDGET_MS_PER_ALERT * 1000) process.exitCode = 1;
