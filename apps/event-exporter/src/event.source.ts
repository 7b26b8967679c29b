import { CoreV1Api, EventsV1Api, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { ResourceWatcher, type BackoffOptions, type WatchChange } from '@nm/kube';
import type { Logger } from '@nm/telemetry';

import type { EventApi } from './event.apis.js';

/** The Event APIs the exporter can watch. A real API server serves the same Events through both. */
export { EVENT_APIS, type EventApi } from './event.apis.js';

/**
 * Informers on Events cluster-wide, one per API (core/v1 `/api/v1/events`, events.k8s.io/v1
 * `/apis/events.k8s.io/v1/events`), with config-sync's resilience: relist after a 410, restart
 * with backoff after any other error, the cache kept meanwhile. Watching both APIs shows every
 * event twice; the exporter's record per event uid makes the second sight a duplicate.
 */
export class EventSource {
  private readonly watchers: Array<ResourceWatcher<EventApi>> = [];

  constructor(
    private readonly kc: KubeConfig,
    private readonly apis: readonly EventApi[],
    private readonly logger: Logger,
    private readonly onEvent: (object: KubernetesObject, api: EventApi) => void,
    private readonly backoff: BackoffOptions = {},
  ) {}

  start(): void {
    const core = this.kc.makeApiClient(CoreV1Api);
    const events = this.kc.makeApiClient(EventsV1Api);
    const cast = (p: Promise<unknown>) => p as Promise<KubernetesListObject<KubernetesObject>>;
    for (const api of this.apis) {
      const target =
        api === 'core/v1'
          ? { kind: api, kindName: 'Event (core/v1)', namespace: undefined, path: '/api/v1/events', list: () => cast(core.listEventForAllNamespaces()), description: 'events (core/v1)' }
          : {
              kind: api,
              kindName: 'Event (events.k8s.io/v1)',
              namespace: undefined,
              path: '/apis/events.k8s.io/v1/events',
              list: () => cast(events.listEventForAllNamespaces()),
              description: 'events (events.k8s.io/v1)',
            };
      const w = new ResourceWatcher<EventApi>(
        this.kc,
        target,
        this.logger,
        (change: WatchChange) => {
          if (change.type === 'add' || change.type === 'update') this.onEvent(change.object, api);
        },
        this.backoff,
      );
      w.start();
      this.watchers.push(w);
    }
  }

  /** True once every informer listed. */
  get listed(): boolean {
    return this.watchers.length > 0 && this.watchers.every((w) => w.listed);
  }

  /** Every cached event, with its API. */
  *cached(): Generator<[KubernetesObject, EventApi]> {
    for (const w of this.watchers) for (const o of w.list()) yield [o, w.kind];
  }

  async stop(): Promise<void> {
    await Promise.all(this.watchers.splice(0).map((w) => w.stop()));
  }
}
