import { describe, expect, it } from '@jest/globals';
import { secretFreeDestination, secretFreeText } from './history.redact.js';

describe('history destinations and errors carry no token-like URL parts', () => {
  it.each([
    ['http://127.0.0.1:8080/fail/plantedf3e9ee89894d-failpath', 'http://127.0.0.1:8080/fail/***'],
    ['https://hooks.example/api/v1/alerts', 'https://hooks.example/api/v1/alerts'],
    ['https://hooks.example/alerts/0f8b5c1e-3a6d-4c2b-9e7f-1a2b3c4d5e6f?x=1#f', 'https://hooks.example/alerts/***'],
    ['https://hooks.slack.com/services/***/***/***', 'https://hooks.slack.com/services/***/***/***'],
    ['https://example.test/a/' + 'x'.repeat(40), 'https://example.test/a/***'],
    ['oncall@example.com', 'oncall@example.com'],
    ['#ops', '#ops'],
    ['', ''],
  ])('%s → %s', (input, output) => expect(secretFreeDestination(input)).toBe(output));

  it('reduces every URL inside an error text and leaves the rest', () => {
    expect(secretFreeText('webhook: POST https://h.example/x/abcdef0123456789abcd?token=s3cret failed: HTTP 400')).toBe(
      'webhook: POST https://h.example/x/*** failed: HTTP 400',
    );
    expect(secretFreeText('egress denied: 127.0.0.2 is in NM_EGRESS_DENY')).toBe('egress denied: 127.0.0.2 is in NM_EGRESS_DENY');
  });
});
