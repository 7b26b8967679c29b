/**
 * The open and closed incidents of the fake's PagerDuty and Opsgenie, keyed as the vendors key
 * them (PagerDuty: routing key + dedup_key; Opsgenie: API key + alias). Opening a key that is
 * already open adds to that incident (PagerDuty appends the event, Opsgenie counts a duplicate);
 * opening a closed key opens a new incident, as both vendors do.
 */
export type IncidentVendor = 'pagerduty' | 'opsgenie';

export interface FakeIncident {
  vendor: IncidentVendor;
  /** The routing key (PagerDuty) or API key (Opsgenie) it was opened with. */
  account: string;
  /** dedup_key or alias. */
  key: string;
  status: 'open' | 'closed';
  /** Summary (PagerDuty) or message (Opsgenie) of the event that opened it. */
  title: string;
  /** Opening events that arrived while it was open (1 = opened once, never repeated). */
  events: number;
  openedAt: number;
  closedAt?: number;
}

export class IncidentBook {
  private readonly list: FakeIncident[] = [];

  constructor(private readonly now: () => number) {}

  /** Opens `key`, or adds to it when it is open; returns the incident and whether it is new. */
  open(vendor: IncidentVendor, account: string, key: string, title: string): { incident: FakeIncident; created: boolean } {
    const current = this.openOne(vendor, account, key);
    if (current) {
      current.events += 1;
      return { incident: current, created: false };
    }
    const incident: FakeIncident = { vendor, account, key, status: 'open', title, events: 1, openedAt: this.now() };
    this.list.push(incident);
    return { incident, created: true };
  }

  /** Closes the open incident of `key`; undefined when none is open. */
  close(vendor: IncidentVendor, account: string, key: string): FakeIncident | undefined {
    const current = this.openOne(vendor, account, key);
    if (!current) return undefined;
    current.status = 'closed';
    current.closedAt = this.now();
    return current;
  }

  openOne(vendor: IncidentVendor, account: string, key: string): FakeIncident | undefined {
    return this.list.find((i) => i.vendor === vendor && i.account === account && i.key === key && i.status === 'open');
  }

  /** Every incident so far (copies), oldest first, of one vendor or all. */
  all(vendor?: IncidentVendor): FakeIncident[] {
    return this.list.filter((i) => !vendor || i.vendor === vendor).map((i) => ({ ...i }));
  }

  reset(): void {
    this.list.length = 0;
  }
}
