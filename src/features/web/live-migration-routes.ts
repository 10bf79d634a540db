import type { FastifyInstance, FastifyReply } from 'fastify';
import { apiErrors } from '../../http/api-error.js';
import { roleLabel } from '../users/user.js';
import { linkTokenPage, liveMigrationPage, liveMigrationPath, revokeConfirmPage, type LiveMigrationView } from './live-migration-page.js';
import { pageError, redirect, sendPage, toLogin, type Visitor, type WebContext } from './web-context.js';

const TITLE = 'Live Migration';
/** The API's limit on accessListIps (link-token-routes.ts). */
const MAX_ACCESS_LIST_ENTRIES = 200;

/**
 * The target (Atlas) page: Live Migration → "Generate Link-Token", revoke, and the projects linked sources
 * pushed. Every action goes through the LinkTokenService, exactly as the API's routes do.
 */
export function registerLiveMigrationRoutes(scope: FastifyInstance, web: WebContext): void {
  const { linkTokens } = web.options;

  const render = async (
    reply: FastifyReply,
    visitor: Visitor,
    status: number,
    extra: Partial<LiveMigrationView>,
  ): Promise<FastifyReply> => {
    const body = liveMigrationPage({
      organization: visitor.organization,
      projects: await linkTokens.availableProjects(visitor.organization),
      canEdit: web.canEdit(visitor),
      roleLabel: roleLabel(visitor.user.role),
      csrfToken: visitor.session.csrfToken,
      ...extra,
    });
    return sendPage(reply, status, web.shell(visitor, 'target', TITLE, body));
  };

  scope.get('/orgs/:orgId/live-migration', async (request, reply) => {
    const visitor = await web.visitorOf(request);
    if (visitor === undefined) return toLogin(request, reply);
    web.organizationOf(request, visitor);
    return render(reply, visitor, 200, { notice: web.noticeOf(request) });
  });

  scope.post('/orgs/:orgId/live-migration/link-tokens', async (request, reply) => {
    const post = await web.ownerPost(request, reply);
    if (post.visitor === undefined) return post.reply;
    const text = post.form.text('accessListIps');
    // One per line or separated by commas, as the page says; blanks between entries are not entries.
    const entries = text.split(/[\s,]+/).filter((entry) => entry !== '');
    let token: string;
    try {
      if (entries.length > MAX_ACCESS_LIST_ENTRIES)
        throw apiErrors.invalidAttribute('accessListIps', `at most ${MAX_ACCESS_LIST_ENTRIES} entries.`);
      token = await linkTokens.createToken(post.visitor.organization, entries);
    } catch (error) {
      const { status, error: shown } = pageError(error, 'Could not generate a link-token.');
      return render(reply, post.visitor, status, { error: shown, accessListText: text });
    }
    // The answer to the POST shows the token once; it is not stored anywhere it could be shown from again.
    return sendPage(reply, 200, web.shell(post.visitor, 'target', 'Your link-token', linkTokenPage(post.visitor.organization, token)));
  });

  scope.get('/orgs/:orgId/live-migration/revoke', async (request, reply) => {
    const visitor = await web.visitorOf(request);
    if (visitor === undefined) return toLogin(request, reply);
    const organization = web.organizationOf(request, visitor);
    web.requireOwner(visitor);
    return sendPage(
      reply,
      200,
      web.shell(visitor, 'target', 'Revoke link-tokens', revokeConfirmPage(organization, visitor.session.csrfToken)),
    );
  });

  scope.post('/orgs/:orgId/live-migration/revoke', async (request, reply) => {
    const post = await web.ownerPost(request, reply);
    if (post.visitor === undefined) return post.reply;
    try {
      await linkTokens.deleteTokens(post.visitor.organization);
    } catch (error) {
      const { status, error: shown } = pageError(error, 'Could not revoke.');
      return render(reply, post.visitor, status, { error: shown });
    }
    return redirect(reply, `${liveMigrationPath(post.visitor.organization.id)}?notice=revoked`);
  });
}
