import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiErrors } from '../../http/api-error.js';
import type { MigrationRequest } from '../live-migrations/live-migration.js';
import type { Organization, Project } from '../organizations/organization.js';
import { roleLabel } from '../users/user.js';
import type { FormFields } from './form.js';
import { linkTokenPage, liveMigrationPage, liveMigrationPath, revokeConfirmPage, type LiveMigrationView } from './live-migration-page.js';
import {
  cutoverConfirmPage,
  EMPTY_MIGRATE_FORM,
  migrateFormOf,
  migrationsSections,
  type DestinationProject,
  type MigrateForm,
} from './migrate-page.js';
import { pageError, redirect, sendPage, toLogin, type Visitor, type WebContext } from './web-context.js';

const TITLE = 'Live Migration';
/** The API's limit on accessListIps (link-token-routes.ts). */
const MAX_ACCESS_LIST_ENTRIES = 200;
/** How many migrations and validations the page lists: the latest, newest first. */
const LISTED = 20;
/** While something runs, the page script reloads the page this often (without the script: the Refresh link). */
const REFRESH_SECONDS = 2;

/** What the "Migrate a deployment" form shows: what was typed (or a validation's plan), and why it was refused. */
interface MigrateState {
  form?: MigrateForm;
  error?: { title: string; detail: string };
  /** A validation whose plan fills the form (after Validate). */
  validationId?: string;
}

/**
 * The target (Atlas) page: Live Migration → "Generate Link-Token", revoke, and the projects linked sources
 * pushed. Every action goes through the LinkTokenService, exactly as the API's routes do.
 */
export function registerLiveMigrationRoutes(scope: FastifyInstance, web: WebContext): void {
  const { linkTokens, liveMigrations, organizations, clusters } = web.options;

  /** The organization's Atlas projects and their clusters' names: where a migration may go. */
  const destinationsOf = async (organization: Organization): Promise<DestinationProject[]> => {
    const projects = await organizations.listProjects(organization.id);
    return Promise.all(
      projects.map(async (project) => ({
        id: project.id,
        name: project.name,
        clusters: (await clusters.list(project.id)).map((described) => described.cluster.name),
      })),
    );
  };

  const render = async (
    reply: FastifyReply,
    visitor: Visitor,
    status: number,
    extra: Partial<LiveMigrationView>,
    migrate: MigrateState = {},
  ): Promise<FastifyReply> => {
    const projects = await linkTokens.availableProjects(visitor.organization);
    const [destinations, { migrations, validations }] = await Promise.all([
      destinationsOf(visitor.organization),
      liveMigrations.recent(visitor.organization, LISTED),
    ]);
    const validated = validations.find((validation) => validation.id === migrate.validationId);
    const body = liveMigrationPage({
      organization: visitor.organization,
      projects,
      canEdit: web.canEdit(visitor),
      roleLabel: roleLabel(visitor.user.role),
      csrfToken: visitor.session.csrfToken,
      migrations: migrationsSections({
        organization: visitor.organization,
        sources: projects,
        destinations,
        migrations,
        validations,
        canEdit: web.canEdit(visitor),
        roleLabel: roleLabel(visitor.user.role),
        csrfToken: visitor.session.csrfToken,
        form: migrate.form ?? (validated === undefined ? EMPTY_MIGRATE_FORM : migrateFormOf(validated.plan)),
        error: migrate.error,
        refreshSeconds: REFRESH_SECONDS,
      }),
      ...extra,
    });
    return sendPage(reply, status, web.shell(visitor, 'target', TITLE, body));
  };

  scope.get('/orgs/:orgId/live-migration', async (request, reply) => {
    const visitor = await web.visitorOf(request);
    if (visitor === undefined) return toLogin(request, reply);
    web.organizationOf(request, visitor);
    const validationId = (request.query as Record<string, unknown> | undefined)?.['validation'];
    return render(reply, visitor, 200, { notice: web.noticeOf(request) }, typeof validationId === 'string' ? { validationId } : {});
  });

  /** Validate and Start migration: the same form, the service's validate or create, as the API's routes call them. */
  const migratePost = (action: 'validate' | 'create') => async (request: FastifyRequest, reply: FastifyReply) => {
    const post = await web.ownerPost(request, reply);
    if (post.visitor === undefined) return post.reply;
    const { organization } = post.visitor;
    let typed: MigrateForm = EMPTY_MIGRATE_FORM;
    let next: string;
    try {
      typed = typedForm(post.form);
      const { groupId, request: migration } = migrationRequestOf(typed, post.form);
      const project = await projectOf(organization, groupId);
      if (action === 'validate') {
        const validation = await liveMigrations.validate(organization, project, migration);
        next = `?notice=validation-started&validation=${validation.id}#migrations`;
      } else {
        await liveMigrations.create(organization, project, migration);
        next = '?notice=migration-started#migrations';
      }
    } catch (error) {
      const title = action === 'validate' ? 'Could not validate.' : 'Could not start the migration.';
      const { status, error: shown } = pageError(error, title);
      return render(reply, post.visitor, status, {}, { form: typed, error: shown });
    }
    return redirect(reply, `${liveMigrationPath(organization.id)}${next}`);
  };
  scope.post('/orgs/:orgId/live-migration/migrations/validate', migratePost('validate'));
  scope.post('/orgs/:orgId/live-migration/migrations', migratePost('create'));

  /** The organization's own Atlas project; any other id is "not found", whether it exists or not. */
  const projectOf = async (organization: Organization, groupId: string): Promise<Project> => {
    const project = await organizations.getProject(groupId);
    if (project?.orgId !== organization.id) throw apiErrors.groupNotFound(groupId);
    return project;
  };
  const cutoverParams = (request: FastifyRequest): { groupId: string; migrationId: string } => {
    const params = request.params as { groupId?: string; migrationId?: string };
    return { groupId: params.groupId ?? '', migrationId: params.migrationId ?? '' };
  };

  scope.get('/orgs/:orgId/live-migration/migrations/:groupId/:migrationId/cutover', async (request, reply) => {
    const visitor = await web.visitorOf(request);
    if (visitor === undefined) return toLogin(request, reply);
    const organization = web.organizationOf(request, visitor);
    web.requireOwner(visitor);
    const { groupId, migrationId } = cutoverParams(request);
    const migration = await liveMigrations.migration(await projectOf(organization, groupId), migrationId);
    return sendPage(
      reply,
      200,
      web.shell(visitor, 'target', 'Cut over', cutoverConfirmPage(organization, migration, visitor.session.csrfToken)),
    );
  });

  scope.post('/orgs/:orgId/live-migration/migrations/:groupId/:migrationId/cutover', async (request, reply) => {
    const post = await web.ownerPost(request, reply);
    if (post.visitor === undefined) return post.reply;
    const { organization, session } = post.visitor;
    const { groupId, migrationId } = cutoverParams(request);
    const project = await projectOf(organization, groupId);
    const confirm = async (status: number, error: { title: string; detail: string }): Promise<FastifyReply> => {
      const migration = await liveMigrations.migration(project, migrationId);
      return sendPage(
        reply,
        status,
        web.shell(post.visitor, 'target', 'Cut over', cutoverConfirmPage(organization, migration, session.csrfToken, error)),
      );
    };
    if (post.form.text('stoppedWrites') !== 'on') {
      return confirm(400, {
        title: 'Could not cut over.',
        detail: 'Tick "I stopped writes to the source" first: writes to the source after the cutover would not reach the destination.',
      });
    }
    let completed: boolean;
    try {
      ({ completed } = await liveMigrations.cutover(project, migrationId));
    } catch (error) {
      const { status, error: shown } = pageError(error, 'Could not cut over.');
      return confirm(status, shown);
    }
    return redirect(reply, `${liveMigrationPath(organization.id)}?notice=${completed ? 'cutover-complete' : 'cutover-pending'}#migrations`);
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

/** The form's fields as typed; the password is read apart, never given back to the page. */
function typedForm(form: FormFields): MigrateForm {
  return {
    source: form.text('source'),
    migrationHost: form.text('migrationHost'),
    destination: form.text('destination'),
    authentication: form.text('authentication') === 'password' ? 'password' : 'managed',
    username: form.text('username'),
    ssl: form.text('ssl') === 'on',
    caCertificatePath: form.text('caCertificatePath'),
    dropDestinationData: form.text('dropDestinationData') === 'on',
  };
}

/** `{objectId}/{name}`: the project, then the name (which may itself hold a slash). */
function pairOf(value: string): { groupId: string; name: string } | undefined {
  const at = value.indexOf('/');
  if (at <= 0 || at === value.length - 1) return undefined;
  return { groupId: value.slice(0, at), name: value.slice(at + 1) };
}

/**
 * The API's request, from the form: the same fields the Atlas CLI sends, so the service checks them the
 * same way and answers the same messages. Only what a form adds is checked here: a choice made in each
 * select, and the confirmation that goes with dropping the destination's data.
 */
function migrationRequestOf(typed: MigrateForm, form: FormFields): { groupId: string; request: MigrationRequest } {
  const source = pairOf(typed.source);
  if (source === undefined) throw apiErrors.missingAttribute('source.clusterName');
  const host = pairOf(typed.migrationHost);
  if (host === undefined) throw apiErrors.missingAttribute('migrationHosts');
  const destination = pairOf(typed.destination);
  if (destination === undefined) throw apiErrors.missingAttribute('destination.clusterName');
  if (typed.dropDestinationData && form.text('confirmDrop') !== 'on') {
    throw apiErrors.invalidAttribute(
      'dropDestinationData',
      'tick "I understand every database of the destination cluster is deleted" to drop its data, or leave dropping off.',
    );
  }
  const managed = typed.authentication === 'managed';
  const password = form.text('password');
  const orNull = (text: string): string | null => (text.trim() === '' ? null : text);
  return {
    groupId: destination.groupId,
    request: {
      source: {
        clusterName: source.name,
        groupId: source.groupId,
        managedAuthentication: managed,
        ssl: typed.ssl,
        caCertificatePath: orNull(typed.caCertificatePath.trim()),
        // The radio decides: a username left in the field while Automation manages authentication is not sent.
        username: managed ? null : orNull(typed.username.trim()),
        password: managed ? null : password === '' ? null : password,
      },
      destination: { clusterName: destination.name, groupId: destination.groupId, hostnameSchemaType: 'PUBLIC', privateLinkId: null },
      migrationHosts: [host.name],
      dropDestinationData: typed.dropDestinationData,
      shardingEntries: 0,
    },
  };
}
