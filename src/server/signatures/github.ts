import { verify } from '@octokit/webhooks-methods';

/**
 * GitHub signs the exact bytes it sent with HMAC-SHA256 (`X-Hub-Signature-256: sha256=<hex>`).
 * The check runs on the raw body: parsing and re-serialising JSON would change the bytes
 * (white space, key order, escapes) and every genuine delivery would fail.
 * `verify` compares in constant time.
 */
export async function verifyGithubSignature(
  secret: string,
  rawBody: Buffer,
  signature: string,
): Promise<boolean> {
  return verify(secret, rawBody.toString('utf8'), signature);
}
