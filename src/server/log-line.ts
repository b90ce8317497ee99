/** One line per webhook decision. Header values come from the caller: quoted when they need it, so a line stays one line. */
export interface WebhookDecision {
  provider: string;
  delivery: string | undefined;
  status: number;
  result: string;
}

export function formatDecision({ provider, delivery, status, result }: WebhookDecision): string {
  return `webhook provider=${provider} delivery=${token(delivery ?? '-')} status=${status} result=${token(result)}`;
}

function token(value: string): string {
  const short = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return /^[\w.:/@+-]+$/.test(short) ? short : JSON.stringify(short);
}
