/** Stable codes of the errors this package throws. */
export const MANIFEST_ERROR_CODES = {
  /** A path given to `loadManifests` does not exist. */
  pathNotFound: 'MANIFEST_PATH_NOT_FOUND',
  /** A path given to `loadManifests` exists but cannot be read. */
  pathUnreadable: 'MANIFEST_PATH_UNREADABLE',
} as const;
export type ManifestErrorCode = (typeof MANIFEST_ERROR_CODES)[keyof typeof MANIFEST_ERROR_CODES];

/** A path passed to `loadManifests` could not be used at all (problems inside files are not thrown). */
export class ManifestPathError extends Error {
  override readonly name = 'ManifestPathError';
  constructor(
    readonly code: ManifestErrorCode,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
