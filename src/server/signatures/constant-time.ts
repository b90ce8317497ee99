import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets without leaking, through timing, how much of them matched.
 * timingSafeEqual needs equal lengths, and an early length check would leak the secret's
 * length; hashing both sides first gives two 32-byte digests whatever the inputs.
 */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(value: string | Buffer): Buffer {
  return createHash('sha256').update(value).digest();
}
