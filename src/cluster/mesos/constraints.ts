/**
 * Aurora's placement constraints on agent attributes, as Aurora's scheduler evaluates them:
 * `attr: limit:N` caps a job's active instances per distinct attribute value; any other value
 * is a comma-separated set (OR) that a leading `!` negates as a whole; `dedicated` agents run
 * only jobs that ask for them.
 */

/** Agent attribute → its string values (see `attributeValues`). */
export type Attributes = ReadonlyMap<string, readonly string[]>;

export interface LimitRule {
  attribute: string;
  limit: number;
}

export interface ValueRule {
  attribute: string;
  negated: boolean;
  values: ReadonlySet<string>;
  /** The constraint as written, for reasons. */
  text: string;
}

export interface Rules {
  limits: LimitRule[];
  values: ValueRule[];
}

export const DEDICATED = 'dedicated';

const LIMIT = /^limit:(\d+)$/;

function parseValueRule(attribute: string, text: string): ValueRule {
  const negated = text.startsWith('!');
  const list = negated ? text.slice(1) : text;
  const values = new Set(
    list
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  );
  return { attribute, negated, values, text };
}

/** Parses a job's constraints; sorted by attribute so reasons come out in a stable order. */
export function parseRules(constraints: Readonly<Record<string, string>>): Rules {
  const rules: Rules = { limits: [], values: [] };
  for (const attribute of Object.keys(constraints).sort()) {
    const text = constraints[attribute] ?? '';
    const limit = LIMIT.exec(text.trim());
    if (limit !== null) rules.limits.push({ attribute, limit: Number(limit[1]) });
    else rules.values.push(parseValueRule(attribute, text));
  }
  return rules;
}

function matches(rule: ValueRule, values: readonly string[]): boolean {
  const any = values.some((v) => rule.values.has(v));
  return rule.negated ? !any : any;
}

function valueVeto(rule: ValueRule, attributes: Attributes): string | undefined {
  const values = attributes.get(rule.attribute);
  // Aurora: an agent without the attribute matches no value, so only a negated set accepts it.
  if (values === undefined || values.length === 0) {
    if (rule.negated) return undefined;
    return rule.attribute === DEDICATED
      ? `not a dedicated agent (${DEDICATED}:${rule.text})`
      : `missing attribute ${rule.attribute}`;
  }
  if (matches(rule, values)) return undefined;
  return rule.attribute === DEDICATED
    ? `agent dedicated to ${values.join(',')}`
    : `constraint ${rule.attribute}:${rule.text} not met`;
}

/** The other half of `dedicated`: a dedicated agent refuses jobs that did not ask for it. */
function dedicatedAgentVeto(rules: Rules, attributes: Attributes): string | undefined {
  const dedicated = attributes.get(DEDICATED);
  if (dedicated === undefined || dedicated.length === 0) return undefined;
  const asked = rules.values.some((r) => r.attribute === DEDICATED && !r.negated);
  return asked ? undefined : `agent dedicated to ${dedicated.join(',')}`;
}

/**
 * Vetoes that depend only on the agent, not on what is placed: value sets, `dedicated`, and
 * a limit's attribute being absent (Aurora vetoes such agents rather than counting them).
 */
export function staticVetoes(rules: Rules, attributes: Attributes): string[] {
  const vetoes: string[] = [];
  const agent = dedicatedAgentVeto(rules, attributes);
  if (agent !== undefined) vetoes.push(agent);
  for (const rule of rules.values) {
    const veto = valueVeto(rule, attributes);
    if (veto !== undefined && veto !== agent) vetoes.push(veto);
  }
  for (const rule of rules.limits) {
    if ((attributes.get(rule.attribute) ?? []).length === 0)
      vetoes.push(`missing attribute ${rule.attribute}`);
  }
  return vetoes;
}

/** A job's active instances per attribute value. */
export interface Counter {
  count(attribute: string, value: string): number;
}

function reached(rule: LimitRule, attributes: Attributes, counter: Counter): boolean {
  for (const value of attributes.get(rule.attribute) ?? []) {
    if (counter.count(rule.attribute, value) >= rule.limit) return true;
  }
  return false;
}

/** Whether every limit still allows one more instance here; the hot path, so no allocation. */
export function withinLimits(rules: Rules, attributes: Attributes, counter: Counter): boolean {
  for (const rule of rules.limits) if (reached(rule, attributes, counter)) return false;
  return true;
}

/** The limits already reached on this agent, as reasons. */
export function limitVetoes(rules: Rules, attributes: Attributes, counter: Counter): string[] {
  return rules.limits
    .filter((rule) => reached(rule, attributes, counter))
    .map((rule) => `limit:${rule.limit} on ${rule.attribute} reached`);
}
