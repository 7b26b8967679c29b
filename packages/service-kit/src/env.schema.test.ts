import { describe, expect, it } from '@jest/globals';
import { parseEnv } from '@nm/telemetry';
import { CommonEnvSchema } from './env.schema.js';

describe('NM_SECRET_KEY', () => {
  it('has no default: a service refuses to start without it, saying how to make one', () => {
    expect(() => parseEnv(CommonEnvSchema, {})).toThrow(
      'invalid environment: NM_SECRET_KEY: is required (no default): set it to a long random value, e.g. $(openssl rand -hex 32)',
    );
  });

  it('must be at least 16 characters', () => {
    expect(() => parseEnv(CommonEnvSchema, { NM_SECRET_KEY: 'short' })).toThrow('NM_SECRET_KEY: must be at least 16 characters');
    expect(parseEnv(CommonEnvSchema, { NM_SECRET_KEY: 'a'.repeat(16) }).NM_SECRET_KEY).toBe('a'.repeat(16));
  });
});
