import { Long, ObjectId, type Document } from 'mongodb';

// Seeded random documents, filters and sorts for the differential tests of the embedded engine's query pushdown.
// Values come from small pools so that equality, ranges and ties meet often, and mix every BSON type the service
// stores (and a few it does not) so that type bracketing, arrays, nulls and missing fields are all exercised.

export type Random = { next: () => number; int: (n: number) => number; pick: <T>(items: readonly T[]) => T; chance: (p: number) => boolean };

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)]!, chance: (p) => next() < p };
}

const objectIds = ['5f0000000000000000000001', '5f0000000000000000000002', '65a1b2c3d4e5f60718293a4b', 'ffffffffffffffffffffffff', '000000000000000000000000']
  .map((hex) => new ObjectId(hex));
const dates = [0, 1_000, 1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000, -86_400_000].map((ms) => new Date(ms));
const strings = ['', 'a', 'A', 'ab', 'b', 'Zürich', 'zurich', 'é', '海尔智家', '海', 'Ω', '😀', ' a', 'a ', '10', '9', '1e2', '007', 'null', 'true'];
const numbers: unknown[] = [0, 1, -1, 2, 9, 10, 1.5, -0.5, 2.0000001, 1e15, -1e15, 1e21, 0.1, new Long(3), Long.fromString('9007199254740993'), new Long(-7)];

export const FIELDS = ['a', 'b', 'c', 'n', 's', 'tags', 'when', 'ref', 'flag', 'o'] as const;

/** A scalar of any type the pools hold. */
export function randomScalar(r: Random): unknown {
  switch (r.int(7)) {
    case 0: return r.pick(numbers);
    case 1: return r.pick(strings);
    case 2: return r.pick(dates);
    case 3: return r.pick(objectIds);
    case 4: return r.chance(0.5);
    case 5: return null;
    default: return r.pick([...numbers, ...strings]);
  }
}

/** A value that fits the field's usual type most of the time, and anything else sometimes. */
function fieldValue(r: Random, field: string): unknown {
  if (r.chance(0.15)) {
    switch (r.int(5)) {
      case 0: return Array.from({ length: r.int(4) }, () => randomScalar(r));
      case 1: return { x: randomScalar(r), y: r.int(3) };
      case 2: return [{ x: randomScalar(r) }, randomScalar(r)]; // FerretDB 1.24 stores no nested arrays
      default: return randomScalar(r);
    }
  }
  switch (field) {
    case 'n': return r.pick(numbers);
    case 's': return r.pick(strings);
    // numeric-looking strings too: an element "9" must stay a string in the engine's side table of array elements
    case 'tags': return Array.from({ length: r.int(4) }, () => r.pick([...strings.slice(0, 8), '10', '9', '1e2', '007']));
    case 'when': return r.pick(dates);
    case 'ref': return r.pick(objectIds);
    case 'flag': return r.chance(0.5);
    case 'o': return { x: r.pick(strings.slice(0, 4)), y: r.int(3) };
    default: return randomScalar(r);
  }
}

export function randomDocument(r: Random, i: number): Document {
  const doc: Document = { _id: new ObjectId(i.toString(16).padStart(24, '0')) };
  for (const field of FIELDS) {
    if (r.chance(0.2)) continue; // missing
    doc[field] = r.chance(0.05) ? null : fieldValue(r, field);
  }
  return doc;
}

function fieldCondition(r: Random, field: string): unknown {
  const value = (): unknown => (r.chance(0.6) ? fieldValue(r, field) : randomScalar(r));
  const scalar = (): unknown => (r.chance(0.7) && field !== 'o' && field !== 'tags' ? fieldValue(r, field) : randomScalar(r));
  switch (r.int(14)) {
    case 0: case 1: return scalar();
    case 2: return { $eq: scalar() };
    case 3: return { $ne: scalar() };
    case 4: return { $in: Array.from({ length: r.int(4) }, scalar) };
    case 5: return { $nin: Array.from({ length: 1 + r.int(3) }, scalar) };
    case 6: return { $exists: r.chance(0.5) };
    case 7: return { [r.pick(['$gt', '$gte', '$lt', '$lte'])]: scalar() };
    case 8: return { [r.pick(['$gt', '$gte'])]: scalar(), [r.pick(['$lt', '$lte'])]: scalar() };
    case 9: return null;
    case 10: return r.pick([
      { $regex: r.pick(['^a', 'b', '海', 'ü', '^$', '1']) },
      { $regex: r.pick(['^a', 'zur', 'Ω']), $options: r.pick(['i', '', 'm', 's']) },
      { $regex: new RegExp(r.pick(['^A', 'b$', 'é']), r.pick(['i', ''])) },
      new RegExp(r.pick(['a', '^Z', '海尔']), r.pick(['i', ''])),
      { $regex: r.pick(['(', 'a']), $options: r.pick(['x', 'q', 'i']) }, // the engine's own errors
    ]);
    case 11: return { $size: r.int(3) };
    case 12: return { $gte: scalar(), $type: r.pick(['string', 'number', 'array']) };
    default: return value();
  }
}

export function randomFilter(r: Random, depth = 0): Document {
  const filter: Document = {};
  const terms = 1 + r.int(depth ? 2 : 3);
  for (let i = 0; i < terms; i++) {
    const roll = r.int(10);
    if (roll === 0 && depth < 2) filter.$or = Array.from({ length: 1 + r.int(3) }, () => randomFilter(r, depth + 1));
    else if (roll === 1 && depth < 2) filter.$and = Array.from({ length: 1 + r.int(2) }, () => randomFilter(r, depth + 1));
    else if (roll === 2 && depth < 2) filter.$nor = [randomFilter(r, depth + 1)];
    else if (roll === 3) filter['o.x'] = r.pick(strings.slice(0, 4)); // a dotted path stays with the engine's filter
    else {
      const field = r.pick(FIELDS);
      filter[field] = fieldCondition(r, field);
    }
  }
  return filter;
}

/** One to three sort keys, always ending with _id so that the order is total. */
export function randomSort(r: Random): Document {
  const sort: Document = {};
  const keys = r.int(3);
  for (let i = 0; i < keys; i++) sort[r.pick(FIELDS)] = r.chance(0.5) ? 1 : -1;
  sort._id = r.chance(0.7) ? 1 : -1;
  return sort;
}
