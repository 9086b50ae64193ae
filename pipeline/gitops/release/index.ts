/**
 * Releases reconciled from the registry: which `v<N>` images exist in the OCI registry,
 * what they carry, where `champion` points, and publishing what is missing.
 */
export { parseImageRef, type ImageRef } from './image-ref.ts';
export { OciClient, type RegistryCredentials } from './oci-client.ts';
export { dockerClient, type Docker } from './docker.ts';
export { checkBaseImage, withBaseImage } from './base-image.ts';
export { CHAMPION_TAG, MODEL_DIGEST_LABEL, MODEL_NAME_LABEL, MODEL_VERSION_LABEL, versionTag } from './labels.ts';
export { championPin, desiredState, planRelease, planText, type ReleasePlan, type ReleaseAction } from './plan.ts';
export { conflictError, observe, publishRelease, releaseStatus, type PublishResult } from './release.ts';
export { isStateOnly, pushIsStateOnly, stateFolders, type StateOnlyAnswer } from './loop-guard.ts';
