import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerRole } from '../../config/config.js';
import { ApiError, apiErrors } from '../../http/api-error.js';
import type { AuthFailureThrottle } from '../../http/digest/digest-authenticator.js';
import type { ClusterService } from '../clusters/cluster-service.js';
import type { LinkTokenService } from '../link-tokens/link-token-service.js';
import type { LiveMigrationService } from '../live-migrations/live-migration-service.js';
import type { MigrationLinkService } from '../migration-link/migration-link-service.js';
import type { Organization } from '../organizations/organization.js';
import type { OrganizationService } from '../organizations/organization-service.js';
import { roleLabel, userMeetsRequirement, type User } from '../users/user.js';
import type { UserService } from '../users/user-service.js';
import { readCookies, serializeCookie } from './cookies.js';
import { formOf, type FormFields } from './form.js';
import type { SafeHtml } from './html.js';
import { layout, type NavLink, type Notice, type PageKind, type Shell } from './layout.js';
import { liveMigrationPath } from './live-migration-page.js';
import type { SessionService } from './session-service.js';
import type { WebSession } from './session-store.js';
import { settingsPath } from './source-settings-page.js';

/** What the pages need: the services the API uses (no other path into the database), and the sessions. */
export interface WebPagesOptions {
  role: ServerRole;
  users: UserService;
  organizations: OrganizationService;
  migrationLinks: MigrationLinkService;
  linkTokens: LinkTokenService;
  /** The target's migrations: what the Atlas API's live-migration routes call, and the page's list. */
  liveMigrations: Pick<LiveMigrationService, 'validate' | 'create' | 'migration' | 'cutover' | 'recent'>;
  /** The destination clusters the migration form offers. */
  clusters: Pick<ClusterService, 'list'>;
  sessions: SessionService;
  /** The failed-answer throttle of the API's digest keys, counting sign-ins under `user:<username>`. */
  loginThrottle: AuthFailureThrottle;
  /** True when livelink serves HTTPS: cookies get `Secure`. */
  secureCookies: boolean;
  now: () => Date;
}

/** A signed-in browser: its session, its user, and the user's one organization. */
export interface Visitor {
  sessionId: string;
  session: WebSession;
  user: User;
  organization: Organization;
}

export type OwnerPost = { visitor: Visitor; form: FormFields } | { visitor: undefined; reply: FastifyReply };

/**
 * Cookie names. Browsers keep cookies per host, not per port, so a source and a target on one host (the
 * two-process set-up) would overwrite each other's session; a one-role process names its cookies after its role.
 */
export function cookieNames(role: ServerRole): { session: string; login: string } {
  const suffix = role === 'both' ? '' : `_${role}`;
  return { session: `livelink_session${suffix}`, login: `livelink_login${suffix}` };
}

/** Messages a redirect may ask a page to show; only these texts, never text from the URL. */
const NOTICES: Readonly<Record<string, Notice>> = {
  connected: { kind: 'success', text: "Connected to Atlas. The organization's projects and deployments were sent." },
  refreshed: { kind: 'success', text: "Refreshed. The organization's projects and deployments were sent to Atlas." },
  'refresh-failed': { kind: 'warning', text: 'Refresh failed: Atlas did not accept the update. The last error says why.' },
  disconnected: { kind: 'success', text: 'Disconnected from Atlas.' },
  revoked: { kind: 'success', text: 'Link-tokens revoked.' },
  'validation-started': {
    kind: 'success',
    text: 'Validation started: the migration host checks the source and the destination, and its result appears under Validations. The form keeps your choices for Start migration (enter a password again).',
  },
  'migration-started': {
    kind: 'success',
    text: 'Migration started. The migration host takes it within seconds; its progress appears under Migrations.',
  },
  'cutover-complete': { kind: 'success', text: 'Cut over: the migration is COMPLETE. Point your applications at the destination cluster.' },
  'cutover-pending': {
    kind: 'warning',
    text: 'Cutover requested: the migration host is still applying the last changes. The migration turns COMPLETE under Migrations once it is done.',
  },
  'signed-out': { kind: 'success', text: 'You are signed out.' },
};

export class WebContext {
  readonly cookieNames: { session: string; login: string };

  constructor(readonly options: WebPagesOptions) {
    this.cookieNames = cookieNames(options.role);
  }

  /** The pages this process serves: the source's with role source, the target's with target, both with both. */
  get kinds(): PageKind[] {
    const { role } = this.options;
    return role === 'both' ? ['source', 'target'] : [role];
  }

  pathOf(kind: PageKind, orgId: string): string {
    return kind === 'source' ? settingsPath(orgId) : liveMigrationPath(orgId);
  }

  async visitorOf(request: FastifyRequest): Promise<Visitor | undefined> {
    const sessionId = readCookies(request.headers.cookie).get(this.cookieNames.session);
    if (sessionId === undefined) return undefined;
    const session = await this.options.sessions.resolve(sessionId);
    if (session === undefined) return undefined;
    const user = await this.options.users.get(session.userId);
    if (user === undefined) return undefined;
    const organization = await this.options.organizations.getOrganization(user.orgId);
    return organization && { sessionId, session, user, organization };
  }

  /**
   * Where a signed-in user starts. With both roles in one process both pages exist for every organization:
   * one that has projects or a link is, in practice, the Ops Manager side; one with neither, the Atlas side.
   */
  async landingOf(visitor: Visitor): Promise<string> {
    const orgId = visitor.organization.id;
    const [only] = this.kinds;
    if (this.kinds.length === 1 && only !== undefined) return this.pathOf(only, orgId);
    const isSource =
      (await this.options.migrationLinks.describe(orgId)) !== undefined ||
      (await this.options.organizations.listProjects(orgId)).length > 0;
    return this.pathOf(isSource ? 'source' : 'target', orgId);
  }

  /** The organization in the URL, when it is the visitor's; any other id is "not found", whether it exists or not. */
  organizationOf(request: FastifyRequest, visitor: Visitor): Organization {
    const orgId = (request.params as { orgId?: string }).orgId ?? '';
    if (orgId !== visitor.organization.id) throw apiErrors.orgNotFound(orgId);
    return visitor.organization;
  }

  canEdit(visitor: Visitor): boolean {
    return userMeetsRequirement(visitor.user, 'ORG_OWNER', visitor.organization.id);
  }

  /** The controls are hidden from others; a hand-made POST gets the API's refusal. */
  requireOwner(visitor: Visitor): void {
    if (!this.canEdit(visitor)) throw apiErrors.userUnauthorized();
  }

  /** The synchronizer token: every state-changing form carries the session's, compared in constant time. */
  checkCsrf(visitor: Visitor, form: FormFields): void {
    if (!sameToken(form.text('csrf'), visitor.session.csrfToken)) throw apiErrors.invalidCsrfToken();
  }

  /**
   * The start of every state-changing POST: a signed-in visitor of this organization, the form, its CSRF
   * token, and the Organization Owner role. Without a session the browser is sent to sign in.
   */
  async ownerPost(request: FastifyRequest, reply: FastifyReply): Promise<OwnerPost> {
    const visitor = await this.visitorOf(request);
    if (visitor === undefined) return { visitor: undefined, reply: redirect(reply, '/login') };
    this.organizationOf(request, visitor);
    const form = formOf(request.body);
    this.checkCsrf(visitor, form);
    this.requireOwner(visitor);
    return { visitor, form };
  }

  noticeOf(request: FastifyRequest): Notice | undefined {
    const notice = (request.query as Record<string, unknown> | undefined)?.['notice'];
    return typeof notice === 'string' ? NOTICES[notice] : undefined;
  }

  shell(visitor: Visitor, current: PageKind | undefined, title: string, body: SafeHtml): Shell {
    const nav: NavLink[] = this.kinds.map((kind) => ({ kind, href: this.pathOf(kind, visitor.organization.id) }));
    return {
      title,
      body,
      nav,
      ...(current === undefined ? {} : { current }),
      user: { username: visitor.user.username, roleLabel: roleLabel(visitor.user.role), csrfToken: visitor.session.csrfToken },
    };
  }

  cookie(name: string, value: string, path: string, maxAgeSeconds?: number): string {
    return serializeCookie(name, value, {
      path,
      secure: this.options.secureCookies,
      ...(maxAgeSeconds === undefined ? {} : { maxAgeSeconds }),
    });
  }
}

export function sendPage(reply: FastifyReply, status: number, shell: Shell): FastifyReply {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').send(layout(shell));
}

/** 303: after a POST the browser GETs the page, so a reload does not send the form again. */
export function redirect(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header('location', location).send();
}

/** Sends an unsigned-in visitor to the sign-in page, coming back here afterwards. */
export function toLogin(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0] ?? '/';
  return redirect(reply, `/login?next=${encodeURIComponent(path)}`);
}

export function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

/** An ApiError from a service, shown in the page: its detail, under a title that says what failed. */
export function pageError(error: unknown, title: string): { status: number; error: { title: string; detail: string } } {
  if (!(error instanceof ApiError)) throw error;
  return { status: error.status, error: { title, detail: error.detail } };
}
