import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@nm/testing';
import { bearerToken, parseTokenList, TokenListError, TokenTable } from './token.source.js';

describe('token lists', () => {
  it('parses commas, spaces, newlines and comments', () => {
    expect(parseTokenList('a,b  c\n# a comment with words\n\n d ,e\r\n', 'X').map((e) => e.token)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(parseTokenList('', 'X')).toEqual([]);
  });

  it('parses <tenant>=<token> entries (a token may hold "="), and names a bad entry by position, never by content', () => {
    expect(parseTokenList('team-a=tok1,alice=dG9rMg==', 'X', true)).toEqual([
      { tenant: 'team-a', token: 'tok1' },
      { tenant: 'alice', token: 'dG9rMg==' },
    ]);
    expect(() => parseTokenList('team-a=tok1,secret-without-tenant', 'NM_TENANT_TOKENS', true)).toThrow(new TokenListError('NM_TENANT_TOKENS: entry 2 must be <tenant>=<token>'));
    expect(() => parseTokenList('team-a=', 'X', true)).toThrow(TokenListError);
    expect(() => parseTokenList('=tok', 'X', true)).toThrow(TokenListError);
  });

  it('reads Authorization: Bearer', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc  ')).toBe('abc');
    expect(bearerToken('Basic dXNlcjpwdw==')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('TokenTable', () => {
  const dirs: string[] = [];
  const tables: TokenTable[] = [];
  afterEach(() => {
    tables.splice(0).forEach((t) => t.close());
    dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
  });
  const dir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'nm-tokens-'));
    dirs.push(d);
    return d;
  };
  const open = async (...args: Parameters<typeof TokenTable.open>): Promise<TokenTable> => {
    const t = await TokenTable.open(...args);
    tables.push(t);
    return t;
  };

  it('matches exactly the listed tokens (not prefixes, not other lengths) and tells the tenant', async () => {
    const t = await open({ name: 'T', tokens: [{ token: 'alpha-token' }, { token: 'beta', tenant: 'team-b' }] });
    expect(t.size).toBe(2);
    expect(t.match('alpha-token')).toEqual({});
    expect(t.match('beta')).toEqual({ tenant: 'team-b' });
    for (const wrong of ['alpha', 'alpha-token ', 'alpha-tokenX', 'ALPHA-TOKEN', '', 'bet']) expect(t.match(wrong)).toBeUndefined();
  });

  it('re-reads its file when it changes, also through a Kubernetes-style symlink swap', async () => {
    const d = dir();
    const data1 = join(d, '..data1');
    const data2 = join(d, '..data2');
    writeFileSync(data1, 'first-token\n');
    writeFileSync(data2, '# rotated\nsecond-token,third-token\n');
    const link = join(d, 'tokens');
    symlinkSync(data1, link);
    const t = await open({ name: 'T', tokens: [{ token: 'from-env' }], file: link, pollMs: 20 });
    expect(t.match('first-token')).toBeDefined();
    expect(t.match('from-env')).toBeDefined();
    // the kubelet's atomic update: a new target, the link replaced by rename
    symlinkSync(data2, join(d, 'tokens.tmp'));
    renameSync(join(d, 'tokens.tmp'), link);
    await waitFor('new tokens in force', () => Promise.resolve(t.match('second-token') !== undefined), 5000, 20);
    expect(t.match('first-token')).toBeUndefined();
    expect(t.match('third-token')).toBeDefined();
    expect(t.match('from-env')).toBeDefined();
    // an emptied file revokes every file token (it never means "open")
    writeFileSync(data2, '\n');
    await waitFor('file tokens revoked', () => Promise.resolve(t.match('second-token') === undefined), 5000, 20);
    expect(t.size).toBe(1);
  });

  it('keeps the tokens in force when the file disappears or turns invalid, and refuses to start without it', async () => {
    const d = dir();
    const file = join(d, 'tenants');
    writeFileSync(file, 'team-a=tok-a\n');
    const t = await open({ name: 'T', file, withTenant: true, pollMs: 20 });
    expect(t.match('tok-a')).toEqual({ tenant: 'team-a' });
    writeFileSync(file, 'not-an-entry\n');
    await new Promise((r) => setTimeout(r, 200));
    expect(t.match('tok-a')).toEqual({ tenant: 'team-a' });
    unlinkSync(file);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.match('tok-a')).toEqual({ tenant: 'team-a' });
    await expect(TokenTable.open({ name: 'NM_ADMIN_TOKENS', file: join(d, 'missing') })).rejects.toThrow(/NM_ADMIN_TOKENS: cannot read .*missing: ENOENT/);
  });
});
