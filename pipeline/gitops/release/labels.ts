/**
 * The labels every release image carries, so the OCI registry itself says which model an
 * image serves: reconcile compares them with the registry in git without pulling a layer.
 */
export const MODEL_DIGEST_LABEL = 'credit-risk-gitops.model.digest';
export const MODEL_NAME_LABEL = 'credit-risk-gitops.model.name';
export const MODEL_VERSION_LABEL = 'credit-risk-gitops.model.version';

/** The tag of a registry version's image. */
export const versionTag = (version: number): string => `v${version}`;
export const CHAMPION_TAG = 'champion';
