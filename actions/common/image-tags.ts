/** Image tags for a champion version: v<N>, sha-<short commit>, champion. */
export function imageTags(version: number, commit: string): string[] {
  return [`v${version}`, `sha-${commit.slice(0, 7)}`, 'champion'];
}

/** The same tags as docker/metadata-action `tags:` lines. */
export function metadataTags(tags: string[]): string {
  return tags.map((t) => `type=raw,value=${t}`).join('\n');
}
