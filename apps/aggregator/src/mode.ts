import type { AlertSource } from '@nm/contracts';

export type { AlertSource };
export type AggregationMode = 'batch' | 'stateful';

/**
 * The aggregation mode of a routed message: a NotificationManager setting of `batch` or `stateful`
 * forces it; `auto` picks batch for alerts posted in Alertmanager's webhook shape (Alertmanager
 * grouped and timed them already) and stateful for raw alerts (the API array shape, e.g. straight
 * from Prometheus).
 */
export function aggregationModeOf(setting: 'batch' | 'stateful' | 'auto', source: AlertSource): AggregationMode {
  if (setting !== 'auto') return setting;
  return source === 'alerts-array' ? 'stateful' : 'batch';
}
