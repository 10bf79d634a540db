import type { FastifyInstance, FastifyReply } from 'fastify';
import { roleLabel } from '../users/user.js';
import { disconnectConfirmPage, settingsPath, sourceSettingsPage, type SourceSettingsView } from './source-settings-page.js';
import { pageError, redirect, sendPage, toLogin, type Visitor, type WebContext } from './web-context.js';

const TITLE = 'Organization Settings';

/**
 * The source (Ops Manager) page: Organization Settings → "Live Migration: Connect to Atlas". Connect,
 * refresh and disconnect go through the MigrationLinkService, exactly as the API's routes do.
 */
export function registerSourceSettingsRoutes(scope: FastifyInstance, web: WebContext): void {
  const { migrationLinks } = web.options;

  const render = async (
    reply: FastifyReply,
    visitor: Visitor,
    status: number,
    extra: Partial<SourceSettingsView>,
  ): Promise<FastifyReply> => {
    const link = await migrationLinks.describe(visitor.organization.id);
    const body = sourceSettingsPage({
      organization: visitor.organization,
      link,
      canEdit: web.canEdit(visitor),
      roleLabel: roleLabel(visitor.user.role),
      csrfToken: visitor.session.csrfToken,
      now: web.options.now(),
      ...extra,
    });
    return sendPage(reply, status, web.shell(visitor, 'source', TITLE, body));
  };

  scope.get('/orgs/:orgId/settings', async (request, reply) => {
    const visitor = await web.visitorOf(request);
    if (visitor === undefined) return toLogin(request, reply);
    web.organizationOf(request, visitor);
    return render(reply, visitor, 200, { notice: web.noticeOf(request) });
  });

  scope.post('/orgs/:orgId/settings/connect', async (request, reply) => {
    const post = await web.ownerPost(request, reply);
    if (post.visitor === undefined) return post.reply;
    try {
      await migrationLinks.connect(post.visitor.organization, post.form.text('linkToken'));
    } catch (error) {
      const { status, error: shown } = pageError(error, 'Could not connect to Atlas. Nothing was stored.');
      return render(reply, post.visitor, status, { error: shown });
    }
    return redirect(reply, `${settingsPath(post.visitor.organization.id)}?notice=connected`);
  });

  scope.post('/orgs/:orgId/settings/refresh', async (request, reply) => {
    const post = await web.ownerPost(request, reply);
    if (post.visitor === undefined) return post.reply;
    const orgId = post.visitor.organization.id;
    if ((await migrationLinks.describe(orgId))?.state !== 'LINKED') return redirect(reply, settingsPath(orgId));
    const report = await migrationLinks.sync(orgId);
    return redirect(reply, `${settingsPath(orgId)}?notice=${report.status === 'SYNCED' ? 'refreshed' : 'refresh-failed'}`);
  });

  scope.get('/orgs/:orgId/settings/disconnect', async (request, reply) => {
    const visitor = await web.visitorOf(request);
    if (visitor === undefined) return toLogin(request, reply);
    const organization = web.organizationOf(request, visitor);
    web.requireOwner(visitor);
    const link = await migrationLinks.describe(organization.id);
    if (link?.state !== 'LINKED') return redirect(reply, settingsPath(organization.id));
    return sendPage(
      reply,
      200,
      web.shell(visitor, 'source', 'Disconnect from Atlas', disconnectConfirmPage(organization, link, visitor.session.csrfToken)),
    );
  });

  scope.post('/orgs/:orgId/settings/disconnect', async (request, reply) => {
    const post = await web.ownerPost(request, reply);
    if (post.visitor === undefined) return post.reply;
    try {
      await migrationLinks.disconnect(post.visitor.organization);
    } catch (error) {
      const { status, error: shown } = pageError(error, 'Could not disconnect.');
      return render(reply, post.visitor, status, { error: shown });
    }
    return redirect(reply, `${settingsPath(post.visitor.organization.id)}?notice=disconnected`);
  });
}
