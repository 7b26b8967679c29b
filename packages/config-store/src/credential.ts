import type { ConfigSnapshot } from '@nm/model';

/** A Credential could not be resolved; the message names the reference, never the value. */
export class CredentialError extends Error {
  override readonly name = 'CredentialError';
  readonly code = 'CREDENTIAL_UNRESOLVED';
}

interface CredentialLike {
  value?: string | undefined;
  valueFrom?: { secretKeyRef?: { namespace?: string | undefined; name: string; key: string } | undefined } | undefined;
}

/**
 * Resolves a notification-manager Credential: inline `value`, or a Secret key (namespace
 * defaulting to `defaultNamespace`, notification-manager's `defaultSecretNamespace`).
 */
export function resolveCredential(
  cred: CredentialLike | undefined,
  snapshot: Pick<ConfigSnapshot, 'secrets'>,
  defaultNamespace: string,
): string | undefined {
  if (!cred) return undefined;
  if (cred.value !== undefined) return cred.value;
  const ref = cred.valueFrom?.secretKeyRef;
  if (!ref) throw new CredentialError('credential has neither value nor valueFrom.secretKeyRef');
  const ns = ref.namespace || defaultNamespace;
  const data = snapshot.secrets[`${ns}/${ref.name}`];
  if (!data) throw new CredentialError(`secret ${ns}/${ref.name} not found`);
  const v = data[ref.key];
  if (v === undefined) throw new CredentialError(`key ${ref.key} not found in secret ${ns}/${ref.name}`);
  return v;
}
