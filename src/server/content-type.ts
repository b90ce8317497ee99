/**
 * Webhook bodies must be JSON. GitHub can also send `application/x-www-form-urlencoded`
 * (`payload=<url-encoded JSON>`); that is refused with a hint rather than decoded, so there is
 * one body format to verify and parse.
 */
export type ContentTypeVerdict = { ok: true } | { ok: false; message: string };

const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\b/i;

export function checkContentType(header: string | undefined): ContentTypeVerdict {
  if (header === undefined || header.trim() === '') {
    return { ok: false, message: 'missing Content-Type: send the payload as application/json' };
  }
  if (JSON_TYPE.test(header.trim())) return { ok: true };
  if (FORM_TYPE.test(header.trim())) {
    return {
      ok: false,
      message:
        'unsupported Content-Type application/x-www-form-urlencoded: ' +
        'set "Content type" to application/json in the webhook settings',
    };
  }
  return {
    ok: false,
    message: `unsupported Content-Type ${clip(header)}: send the payload as application/json (UTF-8)`,
  };
}

/** Echoed header values are the caller's input: keep messages short. */
export function clip(value: string, max = 100): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
