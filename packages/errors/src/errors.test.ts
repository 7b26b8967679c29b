import { describe, expect, it } from '@jest/globals';
import {
  BusUnavailableError,
  MessageTooLargeError,
  PartialFailureError,
  PermanentError,
  RetryableError,
  WaitError,
  classifyError,
  errorMessage,
} from './index.js';

const label = (err: unknown): string => (err instanceof Error ? `${err.constructor.name}(${err.message})` : JSON.stringify(err));

describe('classifyError', () => {
  it.each(
    [
    [new PermanentError('bad credentials', { code: 'AUTH' }), { kind: 'permanent', code: 'AUTH', message: 'bad credentials' }],
    [new PermanentError('x'), { kind: 'permanent', code: 'PERMANENT', message: 'x' }],
    [new PartialFailureError('1 of 2 failed', { code: 'wechat:invalid-recipients', delivered: ['a'], failed: [] }), { kind: 'permanent', code: 'wechat:invalid-recipients', message: '1 of 2 failed' }],
    [new MessageTooLargeError('too big'), { kind: 'permanent', code: 'MESSAGE_TOO_LARGE', message: 'too big' }],
    [new RetryableError('503'), { kind: 'retryable', code: 'RETRYABLE', message: '503' }],
    [new RetryableError('429', { code: 'slack:http-429', retryAfterMs: 30_000 }), { kind: 'retryable', code: 'slack:http-429', message: '429', retryAfterMs: 30_000 }],
    [new WaitError('redis away', { code: 'REDIS_UNAVAILABLE' }), { kind: 'wait', code: 'REDIS_UNAVAILABLE', message: 'redis away' }],
    [new WaitError('slot', { code: 'ratelimit:wait-exceeded', retryAfterMs: 900 }), { kind: 'wait', code: 'ratelimit:wait-exceeded', message: 'slot', retryAfterMs: 900 }],
    [new BusUnavailableError('nats down'), { kind: 'wait', code: 'BUS_UNAVAILABLE', message: 'nats down' }],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), { kind: 'retryable', code: 'ECONNRESET', message: 'socket hang up' }],
    [new Error('boom'), { kind: 'retryable', code: 'ERROR', message: 'boom' }],
    ['text', { kind: 'retryable', code: 'ERROR', message: 'text' }],
    ].map(([err, expected]) => [label(err), err, expected] as const),
  )('%s', (_label, err, expected) => {
    expect(classifyError(err)).toEqual(expected);
  });

  it('does not go by names: a look-alike of another class is an unknown error, hence retryable', () => {
    const lookalike = Object.assign(new Error('x'), { name: 'PermanentError', code: 'AUTH' });
    expect(classifyError(lookalike, 'webhook:error')).toEqual({ kind: 'retryable', code: 'AUTH', message: 'x' });
    expect(classifyError({ name: 'PermanentError' }, 'webhook:error').code).toBe('webhook:error');
  });

  it('keeps waits retryable for code that only asks whether to try again', () => {
    expect(new WaitError('x')).toBeInstanceOf(RetryableError);
    expect(new BusUnavailableError('x')).toBeInstanceOf(WaitError);
    expect(new PartialFailureError('x', { delivered: [], failed: [] })).toBeInstanceOf(PermanentError);
  });

  it('keeps the cause without putting it in the message', () => {
    const cause = new Error('inner');
    const e = new RetryableError('outer', { cause });
    expect(e.cause).toBe(cause);
    expect(errorMessage(e)).toBe('outer');
    expect(errorMessage({ message: 'plain' })).toBe('plain');
  });
});
