import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/**
 * Generic senders sign the raw body like GitHub does: `X-Signature: sha256=<hex>`, the
 * HMAC-SHA256 of the bytes with the shared secret. The HMAC is taken over the bytes as
 * received (not a decoded string), so any body, even one that is not valid UTF-8, verifies.
 */
export function verifyGenericSignature(secret: string, rawBody: Buffer, header: string): Promise<boolean> {
  const match = SIGNATURE.exec(header.trim());
  if (!match?.[1]) return Promise.resolve(false);
  const claimed = Buffer.from(match[1], 'hex');
  const actual = createHmac('sha256', secret).update(rawBody).digest();
  // Both are 32 bytes (the pattern fixes the hex length), as timingSafeEqual requires.
  return Promise.resolve(timingSafeEqual(claimed, actual));
}

/** The header value a sender puts in `X-Signature` for `body`: for tests and for clients. */
export function signGeneric(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
