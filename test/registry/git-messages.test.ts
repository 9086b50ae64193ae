import { describe, expect, it } from 'vitest';
import { ciRunUrl } from '../../pipeline/gitops/registry/index.ts';
import { DEFAULT_AUTHOR, parseAuthor } from '../../pipeline/gitops/git/identity.ts';
import { authorFrom, ciRunUrlFrom } from '../../cli/commands/registry.ts';

const args = (values: Record<string, string>) => ({ values, positionals: [] });

describe('commit identity and CI links', () => {
  it('commits as github-actions[bot] unless a flag or MLOPS_COMMIT_AUTHOR says otherwise', () => {
    expect(DEFAULT_AUTHOR).toEqual({
      name: 'github-actions[bot]',
      email: '41898282+github-actions[bot]@users.noreply.github.com',
    });
    expect(authorFrom(args({}), {})).toEqual(DEFAULT_AUTHOR);
    expect(authorFrom(args({}), { MLOPS_COMMIT_AUTHOR: 'Risk Team <risk@example.com>' })).toEqual({
      name: 'Risk Team',
      email: 'risk@example.com',
    });
    expect(
      authorFrom(args({ author: 'Ada <ada@example.com>' }), { MLOPS_COMMIT_AUTHOR: 'Risk Team <risk@example.com>' }),
    ).toEqual({ name: 'Ada', email: 'ada@example.com' });
    expect(() => authorFrom(args({ author: 'no email' }), {})).toThrow(
      /--author must look like "Name <email@example.com>"/,
    );
    expect(parseAuthor('x <y>')).toBeNull();
  });

  it('builds the CI run link from the GitHub variables only when all are present', () => {
    const env = { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/credit', GITHUB_RUN_ID: '99' };
    expect(ciRunUrlFrom(args({}), env)).toBe('https://github.com/acme/credit/actions/runs/99');
    expect(ciRunUrlFrom(args({ 'ci-run-url': 'https://ci.example/1' }), env)).toBe('https://ci.example/1');
    expect(ciRunUrl('https://github.com', undefined, '99')).toBeNull();
  });
});
