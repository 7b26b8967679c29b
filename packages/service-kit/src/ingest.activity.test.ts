import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { ingestActivity, INGEST_BUSY_MS, INTAKE_SLOTS } from './ingest.activity.js';

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
    ingestActivity.begin();
    ingestActivity.end(); // answered at once: busy by when it was taken
    expect(ingestActivity.busy()).toBe(true);
    jest.advanceTimersByTime(INGEST_BUSY_MS - 1);
    expect(ingestActivity.busy()).toBe(true);
    jest.advanceTimersByTime(1);
    expect(ingestActivity.busy()).toBe(false);
    ingestActivity.begin();
    expect(ingestActivity.busy()).toBe(true);
  });

  it('says nothing of ingest across threads until ingest took a request here or a buffer was attached', () => {
    expect(ingestActivity.intake()).toBeUndefined();
    ingestActivity.begin();
    expect(ingestActivity.intake()).toMatchObject({ inFlight: 1, publishedSeq: 0 });
  });

  it('counts the requests in hand, the time since the last was taken or answered, and the highest sequence stored', () => {
    jest.useFakeTimers({ now: 5_000 });
    ingestActivity.begin();
    ingestActivity.begin();
    expect(ingestActivity.busy()).toBe(true);
    expect(ingestActivity.intake()).toEqual({ inFlight: 2, idleMs: 0, publishedSeq: 0 });
    ingestActivity.published(7);
    ingestActivity.published(5); // acknowledged out of order: the highest stays
    ingestActivity.published(0); // an inline publish has no sequence
    jest.advanceTimersByTime(30);
    ingestActivity.end();
    jest.advanceTimersByTime(40);
    expect(ingestActivity.intake()).toEqual({ inFlight: 1, idleMs: 40, publishedSeq: 7 });
    ingestActivity.end();
    expect(ingestActivity.intake()).toEqual({ inFlight: 0, idleMs: 0, publishedSeq: 7 });
  });

  it('keeps that state in its shared buffer, which another thread attaches to read it', async () => {
    ingestActivity.begin();
    ingestActivity.published(42);
    const buffer = ingestActivity.buffer();
    expect(buffer).toBeInstanceOf(SharedArrayBuffer);
    // another thread: a worker attaches the buffer and reads what this thread wrote, then sees it change
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { buffer, slots } = workerData;
       const counts = new Int32Array(buffer, 0, 1);
       const values = new Float64Array(buffer);
       const read = () => [Atomics.load(counts, slots.inFlight), values[slots.publishedSeq]];
       parentPort.postMessage(read());
       parentPort.once('message', () => parentPort.postMessage(read()));`,
      { eval: true, workerData: { buffer, slots: INTAKE_SLOTS } },
    );
    const next = (): Promise<unknown> => new Promise((resolve) => worker.once('message', resolve));
    try {
      expect(await next()).toEqual([1, 42]);
      ingestActivity.end();
      ingestActivity.published(43);
      const answer = next();
      worker.postMessage('again');
      expect(await answer).toEqual([0, 43]);
    } finally {
      await worker.terminate();
    }
    // attached on a thread without ingest: reads that buffer
    ingestActivity.reset();
    expect(ingestActivity.intake()).toBeUndefined();
    ingestActivity.attach(buffer);
    expect(ingestActivity.intake()).toMatchObject({ inFlight: 0, publishedSeq: 43 });
    expect(() => ingestActivity.attach(new SharedArrayBuffer(8))).toThrow(/8 bytes/);
  });
});
