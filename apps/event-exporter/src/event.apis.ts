/** The Events APIs the exporter can watch (no Kubernetes client here: the environment schema reads it). */
export const EVENT_APIS = ['core/v1', 'events.k8s.io/v1'] as const;
export type EventApi = (typeof EVENT_APIS)[number];
