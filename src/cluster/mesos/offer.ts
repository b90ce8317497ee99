/**
 * The parts of Mesos v1 `Offer` JSON that placement reads, with the proto's field names, so
 * offers from the scheduler's OFFERS event can be passed straight in. Repeated fields are
 * optional because Mesos omits empty ones.
 */

export interface MesosId {
  value: string;
}

export type MesosValueType = 'SCALAR' | 'RANGES' | 'SET' | 'TEXT';

export interface MesosRange {
  begin: number;
  end: number;
}

export interface MesosAllocationInfo {
  role?: string;
}

export interface MesosReservation {
  type?: 'STATIC' | 'DYNAMIC';
  role?: string;
  principal?: string;
  labels?: { labels?: { key: string; value?: string }[] };
}

export interface MesosResource {
  name: string;
  type: MesosValueType;
  scalar?: { value: number };
  ranges?: { range?: MesosRange[] };
  set?: { item?: string[] };
  /** Pre-refinement reservation role; `*` (the default) is unreserved. */
  role?: string;
  /** Pre-refinement reservation details (principal, labels). */
  reservation?: MesosReservation;
  /** Refined reservations, outermost first; the last one is the role the resource is reserved to. */
  reservations?: MesosReservation[];
  allocation_info?: MesosAllocationInfo;
  disk?: Record<string, unknown>;
  revocable?: Record<string, unknown>;
  shared?: Record<string, unknown>;
  provider_id?: MesosId;
}

export interface MesosAttribute {
  name: string;
  type: MesosValueType;
  scalar?: { value: number };
  ranges?: { range?: MesosRange[] };
  set?: { item?: string[] };
  text?: { value: string };
}

export interface MesosOffer {
  id: MesosId;
  framework_id?: MesosId;
  agent_id: MesosId;
  hostname: string;
  resources?: MesosResource[];
  attributes?: MesosAttribute[];
  /** Set for MULTI_ROLE frameworks: the role every resource of this offer is allocated to. */
  allocation_info?: MesosAllocationInfo;
  executor_ids?: MesosId[];
}

/** An attribute's values as strings, as Aurora compares them. */
export function attributeStrings(attribute: MesosAttribute): string[] {
  switch (attribute.type) {
    case 'TEXT':
      return attribute.text === undefined ? [] : [attribute.text.value];
    case 'SCALAR':
      return attribute.scalar === undefined ? [] : [String(attribute.scalar.value)];
    case 'SET':
      return attribute.set?.item ?? [];
    case 'RANGES': {
      // Aurora compares attribute values as strings; a ranges attribute is one value.
      const ranges = attribute.ranges?.range ?? [];
      return [`[${ranges.map((r) => `${r.begin}-${r.end}`).join(',')}]`];
    }
  }
}

/**
 * An agent's attributes as Aurora sees them: name → string values (an agent may repeat a
 * name, and a SET attribute has several items). `host` falls back to the hostname because
 * operators rarely set a `host` attribute, yet `host: limit:1` is the most common constraint.
 */
export function attributeValues(offer: MesosOffer): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const attribute of offer.attributes ?? []) {
    const known = values.get(attribute.name) ?? [];
    values.set(attribute.name, [...known, ...attributeStrings(attribute)]);
  }
  if (!values.has('host')) values.set('host', [offer.hostname]);
  return values;
}
