/**
 * The one JSON shape for every collection: a string `id`, no `_id`/`__v`, and the schema's secret paths removed.
 * Used as the schema `toJSON` transform and for lean reads alike.
 */
export function toPublicJson<T extends Record<string, unknown>>(doc: T, secretPaths: readonly string[] = []): Record<string, unknown> {
  const { _id, __v, ...rest } = doc;
  for (const secret of secretPaths) delete rest[secret];
  return { id: String(_id), ...rest };
}

export function jsonOptions(secretPaths: readonly string[] = []) {
  return {
    transform: (_doc: unknown, ret: Record<string, unknown>) => toPublicJson(ret, secretPaths),
  };
}
