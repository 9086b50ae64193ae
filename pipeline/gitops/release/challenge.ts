/**
 * `WWW-Authenticate` challenges (RFC 7235) as registries send them, e.g. GHCR's
 * `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/x:pull"`.
 * Parameter values may be quoted and contain commas (`scope="repository:a/b:pull,push"`),
 * so the header is tokenised rather than split.
 */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skip = (re: RegExp): void => {
    while (i < n && re.test(header[i])) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(header[i])) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    skip(/[\s,]/);
    const scheme = token();
    if (!scheme) break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      skip(/[\s,]/);
      const save = i;
      const key = token();
      skip(/\s/);
      if (!key || header[i] !== '=') {
        // Not a parameter: the next challenge's scheme.
        i = save;
        break;
      }
      i++; // '='
      skip(/\s/);
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i++];
        }
        i++; // closing quote
      } else {
        // Unquoted: a token by the RFC, but some servers send URLs unquoted; read to the next comma.
        const start = i;
        while (i < n && !/[\s,]/.test(header[i])) i++;
        value = header.slice(start, i);
      }
      challenge.params[key.toLowerCase()] = value;
    }
  }
  return out;
}
