import { describe, expect, it } from '@jest/globals';
import { goTimeString, kubeEventAlertFields, occurrenceOf, readKubeEvent } from './kube.event.js';

const coreEvent = {
  metadata: { name: 'web-0.17a2b3c4d5e6f7a8', namespace: 'team-a', uid: 'u-1', creationTimestamp: '2024-05-01T10:00:00Z' },
  involvedObject: { kind: 'Pod', namespace: 'team-a', name: 'web-0', apiVersion: 'v1', fieldPath: 'spec.containers{web}' },
  reason: 'BackOff',
  message: 'Back-off restarting failed container web in pod web-0_team-a(u)',
  source: { component: 'kubelet', host: 'node-1' },
  firstTimestamp: '2024-05-01T10:00:00Z',
  lastTimestamp: '2024-05-01T10:05:00Z',
  count: 5,
  type: 'Warning',
};

const newEvent = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'node-1.17a', namespace: 'default', uid: 'u-2', creationTimestamp: '2024-05-01T10:00:00Z' },
  eventTime: '2024-05-01T10:00:00.123456Z',
  series: { count: 3, lastObservedTime: '2024-05-01T10:02:00.500000Z' },
  reportingController: 'kubelet',
  reportingInstance: 'node-1',
  action: 'Checking',
  reason: 'NodeNotReady',
  regarding: { kind: 'Node', name: 'node-1' },
  note: 'Node node-1 status is now: NodeNotReady',
  type: 'Warning',
};

describe('readKubeEvent', () => {
  it('reads core/v1 Events', () => {
    const e = readKubeEvent(coreEvent)!;
    expect(e).toMatchObject({ uid: 'u-1', type: 'Warning', reason: 'BackOff', kind: 'Pod', objectName: 'web-0', objectNamespace: 'team-a', source: 'kubelet', sourceHost: 'node-1', count: 5, lastTime: '2024-05-01T10:05:00.000Z', firstTime: '2024-05-01T10:00:00.000Z' });
    expect(occurrenceOf(e)).toBe('5@2024-05-01T10:05:00.000Z');
    // A list through the typed client gives Dates: the same instant, the same occurrence.
    expect(occurrenceOf(readKubeEvent({ ...coreEvent, lastTimestamp: new Date('2024-05-01T10:05:00Z') })!)).toBe(occurrenceOf(e));
  });

  it('reads events.k8s.io/v1 Events (regarding, note, series)', () => {
    const e = readKubeEvent(newEvent)!;
    expect(e).toMatchObject({ uid: 'u-2', kind: 'Node', objectNamespace: '', message: 'Node node-1 status is now: NodeNotReady', source: 'kubelet', count: 3, lastTime: '2024-05-01T10:02:00.500Z', action: 'Checking', reportingInstance: 'node-1' });
  });

  it('core/v1 events with a series (new-style recorders) count their series', () => {
    const e = readKubeEvent({ ...coreEvent, count: undefined, lastTimestamp: undefined, eventTime: '2024-05-01T10:00:00.000001Z', series: { count: 7, lastObservedTime: '2024-05-01T11:00:00Z' } })!;
    expect([e.count, e.lastTime]).toEqual([7, '2024-05-01T11:00:00.000Z']);
  });

  it('refuses what is not an event', () => {
    expect(readKubeEvent('x')).toBeUndefined();
    expect(readKubeEvent({ metadata: {} })).toBeUndefined();
    expect(readKubeEvent({ metadata: { uid: 'u' } })).toBeUndefined();
  });
});

describe('kubeEventAlertFields', () => {
  it("KubeSphere's event alert labels and annotations", () => {
    expect(kubeEventAlertFields(readKubeEvent(coreEvent)!)).toEqual({
      labels: { alerttype: 'event', alertname: 'BackOff', reason: 'BackOff', severity: 'warning', namespace: 'team-a', kind: 'Pod', name: 'web-0', pod: 'web-0' },
      annotations: {
        message: 'Back-off restarting failed container web in pod web-0_team-a(u)',
        source: 'kubelet',
        sourceHost: 'node-1',
        count: '5',
        eventType: 'Warning',
        eventTime: '2024-05-01 10:05:00 +0000 UTC',
        firstTime: '2024-05-01 10:00:00 +0000 UTC',
        eventName: 'web-0.17a2b3c4d5e6f7a8',
        fieldPath: 'spec.containers{web}',
      },
      startsAt: '2024-05-01T10:05:00.000Z',
    });
  });

  it('a cluster-scoped object has no namespace label (global receivers only); Normal is info', () => {
    const f = kubeEventAlertFields({ ...readKubeEvent(newEvent)!, type: 'Normal' });
    expect(f.labels).toEqual({ alerttype: 'event', alertname: 'NodeNotReady', reason: 'NodeNotReady', severity: 'info', kind: 'Node', name: 'node-1', node: 'node-1' });
  });
});

describe('goTimeString', () => {
  it.each([
    ['2024-05-01T10:05:00Z', '2024-05-01 10:05:00 +0000 UTC'],
    ['2022-11-03T07:11:56.676195Z', '2022-11-03 07:11:56.676195 +0000 UTC'],
    ['2024-05-01T10:02:00.500000Z', '2024-05-01 10:02:00.5 +0000 UTC'],
    ['2024-05-01T12:00:00+02:00', '2024-05-01 10:00:00 +0000 UTC'],
    ['', ''],
    ['soon', ''],
  ])('%s', (input, expected) => {
    expect(goTimeString(input)).toBe(expected);
  });
});
