import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { ingestActivity, INGEST_BUSY_MS } from './ingest.activity.js';

describe('ingestActivity', () => {
  afterEach(() => {
    ingestActivity.reset();
    jest.useRealTimers();
  });

  it('is not busy on a thread where ingest took no request', () => {
    expect(ingestActivity.busy()).toBe(false);
  });

  it('is busy for INGEST_BUSY_MS after a request, then idle until the next', () => {
    jest.useFakeTimers({ now: 1_000 });
    ingestActivity.mark();
    expect(ingestActivity.busy()).toBe(true);
    jest.advanceTimersByTime(INGEST_BUSY_MS - 1);
    expect(ingestActivity.busy()).toBe(true);
    jest.advanceTimersByTime(1);
    expect(ingestActivity.busy()).toBe(false);
    ingestActivity.mark();
    expect(ingestActivity.busy()).toBe(true);
  });
});
