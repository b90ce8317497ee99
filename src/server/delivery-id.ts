/**
 * One spelling per delivery id, so that a replay cannot pass as new by changing how its id
 * is written. Senders use UUIDs (GitHub, GitLab); a UUID written upper-case, without dashes,
 * or in braces is the same delivery. Any other id is compared case-insensitively.
 */
const UUID = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/;

export function normaliseDeliveryId(raw: string): string {
  const id = raw.trim().toLowerCase();
  const uuid = UUID.exec(id);
  return uuid ? uuid.slice(1).join('-') : id;
}
