import ical, { ICalEventStatus } from 'ical-generator';
import Joi from 'joi';
import { CustomerModel, canRead } from '../models/customer.ts';
import { userForCalendarToken } from '../models/user.ts';
import { VisitModel } from '../models/visit.ts';
import { HttpError } from '../server/errors.ts';
import { operation } from '../server/operation.ts';

const DAY = 24 * 60 * 60 * 1000;
const VISIT_MINUTES = 60;
const channelLabel = { onsite: 'on site', call: 'call', video: 'video call' } as const;

/**
 * An account manager's upcoming visits as an iCalendar feed for Outlook, Google or Apple Calendar. The feed address
 * carries a per-user secret instead of a Bearer token (calendar apps cannot send one); POST /api/v1/me/calendar-token
 * rotates it. Overdue visits stay in the feed, so they do not silently drop off the calendar.
 */
export const calendarOperations = [
  operation({
    method: 'get', path: '/api/v1/calendar/:file', tag: 'visits', access: 'public',
    summary: "iCalendar feed of the token owner's scheduled visits (no Bearer token: the address is the credential)",
    params: Joi.object({
      file: Joi.string().pattern(/^[0-9a-f]{24}\.[A-Za-z0-9_-]{43}\.ics$/).description('`<token>.ics` from POST /api/v1/me/calendar-token'),
    }),
    responses: {
      200: {
        description: 'text/calendar feed (VCALENDAR with one VEVENT per scheduled visit, overdue ones included)',
        headers: { 'Cache-Control': { description: '`private, max-age=300`', schema: { type: 'string' } } },
        content: { 'text/calendar': { description: 'an iCalendar (RFC 5545) document' } },
      },
      404: 'Unknown, rotated or deactivated calendar address',
    },
    handler: async (req, res, { config }) => {
      const file = String(req.params.file);
      const user = file.endsWith('.ics') ? await userForCalendarToken(file.slice(0, -'.ics'.length)) : null;
      if (!user) throw new HttpError(404, 'Not found', 'No calendar at this address; it may have been replaced by a newer one.');
      const now = Date.now();
      const visits = await VisitModel.find(
        { ownerId: user._id, status: 'scheduled', scheduledFor: { $lte: new Date(now + 366 * DAY) } },
        { customerId: 1, kind: 1, dueAt: 1, scheduledFor: 1, channel: 1, updatedAt: 1 },
      ).lean();
      const customers = new Map((await CustomerModel.find(
        { _id: { $in: [...new Set(visits.map((v) => String(v.customerId)))] } }, { code: 1, name: 1, tier: 1, ownerId: 1, accountTeam: 1 },
      ).lean()).map((c) => [String(c._id), c]));
      // Only customers the owner of the feed may still read (a visit not yet handed on after a change of owner or team).
      const reader = { id: String(user._id), role: user.role, email: '', name: user.name, team: '' };
      const visible = visits.filter((v) => {
        const customer = customers.get(String(v.customerId));
        return customer !== undefined && canRead(reader, customer);
      });
      const calendar = ical({ name: `Customer visits: ${user.name}`, prodId: { company: 'key-accounts', product: 'visits' }, timezone: config.timezone, ttl: 60 * 60 });
      for (const visit of visible) {
        const customer = customers.get(String(visit.customerId));
        const start = visit.scheduledFor;
        const due = visit.dueAt.toISOString().slice(0, 10);
        calendar.createEvent({
          id: `${visit._id}@key-accounts`,
          start,
          end: new Date(start.getTime() + VISIT_MINUTES * 60_000),
          summary: `${visit.kind === 'cadence' ? 'Satisfaction visit' : 'Visit'}: ${customer?.name ?? 'customer'}${customer?.tier ? ` (${customer.tier})` : ''}`,
          description: [
            `Customer ${customer?.code ?? ''}, ${channelLabel[visit.channel as keyof typeof channelLabel] ?? visit.channel}.`,
            `Due ${due}${visit.dueAt.getTime() < now ? ' (overdue)' : ''}.`,
            `Complete it with POST /api/v1/visits/${visit._id}/complete.`,
          ].join('\n'),
          status: ICalEventStatus.CONFIRMED,
          lastModified: visit.updatedAt,
        });
      }
      res.setHeader('Cache-Control', 'private, max-age=300');
      res.type('text/calendar; charset=utf-8').send(calendar.toString());
    },
  }),
];
