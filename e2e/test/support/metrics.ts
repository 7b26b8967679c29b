/** Every series of `name` on a service's `/metrics` (Prometheus text format), with its labels. */
async function series(port: number, name: string): Promise<Array<{ labels: Record<string, string>; value: number }>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

/**
 * The value of one series on a service's `/metrics`: the series of `name` whose labels are
 * exactly `labels`; 0 when the series does not exist yet.
 */
export async function metricValue(port: number, name: string, labels: Record<string, string>): Promise<number> {
  const want = Object.entries(labels);
  const hit = (await series(port, name)).find((s) => Object.keys(s.labels).length === want.length && want.every(([k, v]) => s.labels[k] === v));
  return hit?.value ?? 0;
}

/** The sum of the series of `name` whose labels `where` accepts (0 when there are none). */
export async function metricSum(port: number, name: string, where: (labels: Record<string, string>) => boolean = () => true): Promise<number> {
  return (await series(port, name)).filter((s) => where(s.labels)).reduce((sum, s) => sum + s.value, 0);
}
