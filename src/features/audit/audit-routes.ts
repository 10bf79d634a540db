import { Type } from '@sinclair/typebox';
import { pagedList } from '../../http/paging.js';
import { defineRoute, type ApiRoute } from '../organizations/api-route.js';
import type { AuditEvent } from './audit.js';
import type { AuditService } from './audit-service.js';

const PUBLIC_API = '/api/public/v1.0';

const EventSchema = Type.Object({
  created: Type.String(),
  eventTypeName: Type.String(),
  id: Type.String(),
  isGlobalAdmin: Type.Boolean(),
  links: Type.Array(Type.Object({ href: Type.String(), rel: Type.String() })),
  orgId: Type.String(),
  details: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
});

/**
 * The audit trail, readable in the shape of Ops Manager's organization events API. There is no route
 * that writes, updates or deletes an event: they are appended only by the changes they record.
 */
export function auditRoutes(audit: AuditService): ApiRoute[] {
  const view = (event: AuditEvent, origin: string) => {
    const id = event.id.toString(16).padStart(24, '0');
    return {
      created: event.createdAt,
      details: event.details,
      eventTypeName: event.eventType,
      id,
      isGlobalAdmin: false,
      links: [{ href: `${origin}${PUBLIC_API}/orgs/${event.orgId}/events/${id}`, rel: 'self' }],
      orgId: event.orgId,
    };
  };
  return [
    defineRoute({
      name: 'listOrganizationEvents',
      summary: "Return an organization's events, newest first",
      method: 'GET',
      paths: [`${PUBLIC_API}/orgs/:orgId/events`],
      access: { kind: 'organization', role: 'ORG_MEMBER' },
      response: Type.Object({
        links: Type.Array(Type.Object({ href: Type.String(), rel: Type.String() })),
        results: Type.Array(EventSchema),
        totalCount: Type.Integer(),
      }),
      async handle({ organization, origin, query }) {
        const events = (await audit.newestFirst(organization.id)).map((event) => view(event, origin));
        return { status: 200, body: pagedList(events, query, `${origin}${PUBLIC_API}/orgs/${organization.id}/events`) };
      },
    }),
  ];
}
