import { notificationKinds, type NotificationKind } from './notification.ts';

// Where each user wants each kind of notification: in the in-app feed, and by e-mail at once, in the daily digest or
// not at all. Stored on the user as overrides of the defaults below, so a kind added later gets its default.

export const languages = ['en', 'zh'] as const;
export type Language = (typeof languages)[number];
export const emailModes = ['now', 'digest', 'off'] as const;
export type EmailMode = (typeof emailModes)[number];
export type KindPreference = { feed: boolean; email: EmailMode };

/**
 * Reminders wait for the morning digest; escalations and alerts come at once; tier approvals waiting are in the digest.
 * A gift waiting for approval comes at once: its giver is often still with the customer; so does the decision.
 */
export const defaultKindPreferences: Readonly<Record<NotificationKind, KindPreference>> = Object.freeze({
  'visit.reminder': { feed: true, email: 'digest' },
  'visit.overdue': { feed: true, email: 'now' },
  'visit.missed': { feed: true, email: 'now' },
  'satisfaction.alert': { feed: true, email: 'now' },
  'tier.approval': { feed: true, email: 'digest' },
  // A case is urgent for whoever must act on it (offered it, helping, warned, escalated to, reopened on); what only
  // informs (opened for your customer, a comment, resolved, closed) waits for the digest.
  'case.opened': { feed: true, email: 'digest' },
  'case.handover': { feed: true, email: 'now' },
  'case.helper': { feed: true, email: 'now' },
  'case.comment': { feed: true, email: 'digest' },
  'case.warning': { feed: true, email: 'now' },
  'case.escalated': { feed: true, email: 'now' },
  'case.resolved': { feed: true, email: 'digest' },
  'case.reopened': { feed: true, email: 'now' },
  'case.closed': { feed: true, email: 'digest' },
  'gift.approval': { feed: true, email: 'now' },
  'gift.decided': { feed: true, email: 'now' },
});
export const DEFAULT_DIGEST_HOUR = 8;

/** What the user chose (the rest is default), as the API takes it. */
export type StoredPreferences = {
  language?: Language; timezone?: string | null; digestHour?: number; digest?: boolean;
  kinds?: Partial<Record<NotificationKind, Partial<KindPreference>>>;
};

export type Preferences = {
  language: Language;
  /** The user's IANA time zone; null means the organisation's (TZ). */
  timezone: string | null;
  /** Local hour (0-23) the daily digest is sent at. */
  digestHour: number;
  /** False: no digest at all, whatever the kinds say. */
  digest: boolean;
  kinds: Record<NotificationKind, KindPreference>;
};

export function effectivePreferences(stored: StoredPreferences | null | undefined): Preferences {
  const kinds = Object.fromEntries(notificationKinds.map((kind) => [kind, { ...defaultKindPreferences[kind], ...stored?.kinds?.[kind] }])) as Preferences['kinds'];
  return {
    language: stored?.language ?? 'en',
    timezone: stored?.timezone ?? null,
    digestHour: stored?.digestHour ?? DEFAULT_DIGEST_HOUR,
    digest: stored?.digest ?? true,
    kinds,
  };
}

/** The stored overrides after a change: kinds merge per kind and channel, the rest replaces. */
export function mergePreferences(stored: StoredPreferences | null | undefined, change: StoredPreferences): StoredPreferences {
  const kinds: StoredPreferences['kinds'] = { ...stored?.kinds };
  for (const [kind, pref] of Object.entries(change.kinds ?? {}) as Array<[NotificationKind, Partial<KindPreference>]>) {
    kinds[kind] = { ...kinds[kind], ...pref };
  }
  const { kinds: _, ...rest } = change;
  return { ...stored, ...rest, kinds };
}

// On the user document the kinds are a list, `[{kind, feed?, email?}]`: a kind's name holds a dot, which the embedded
// engine does not take in a field name.
type KindRow = { kind: NotificationKind } & Partial<KindPreference>;
export type PreferencesDocument = Omit<StoredPreferences, 'kinds'> & { kinds?: KindRow[] };

/** The user document's preferences as the functions above take them. */
export function fromDocument(doc: PreferencesDocument | null | undefined): StoredPreferences | null {
  if (!doc) return null;
  const { kinds, ...rest } = doc;
  return { ...rest, kinds: Object.fromEntries((kinds ?? []).map(({ kind, ...pref }) => [kind, pref])) };
}

/** Preferences as the user document keeps them. */
export function toDocument(p: StoredPreferences): PreferencesDocument {
  const { kinds, ...rest } = p;
  return { ...rest, kinds: Object.entries(kinds ?? {}).map(([kind, pref]) => ({ kind: kind as NotificationKind, ...pref })) };
}

/** The effective preferences of a user as read from the database. */
export const preferencesOf = (user: { preferences?: unknown } | null | undefined): Preferences =>
  effectivePreferences(fromDocument(user?.preferences as PreferencesDocument | null));

/** The kinds this user keeps out of their feed. */
export const kindsOutOfFeed = (p: Preferences): NotificationKind[] => notificationKinds.filter((k) => !p.kinds[k].feed);
