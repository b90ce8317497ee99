import { constantTimeEqual } from './constant-time.js';

/**
 * GitLab does not sign the body: it sends the configured secret token as `X-Gitlab-Token`.
 * So the check is a constant-time comparison of that token with ours.
 */
export function verifyGitlabToken(expected: string, _rawBody: Buffer, token: string): Promise<boolean> {
  return Promise.resolve(constantTimeEqual(token, expected));
}
