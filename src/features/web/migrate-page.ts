import type { AvailableProject } from '../link-tokens/available-project.js';
import type { LiveMigration, LiveMigrationValidation, MigrationPlan } from '../live-migrations/live-migration.js';
import type { Organization } from '../organizations/organization.js';
import { html, type SafeHtml } from './html.js';
import { alert } from './layout.js';

/** An Atlas project of the organization and the names of its destination clusters. */
export interface DestinationProject {
  id: string;
  name: string;
  clusters: readonly string[];
}

/** The fields of the "Migrate a deployment" form, as typed (or as a validation's plan fills them); never the password. */
export interface MigrateForm {
  /** `{sourceGroupId}/{deployment name}` */
  source: string;
  /** `{sourceGroupId}/{hostname}` */
  migrationHost: string;
  /** `{groupId}/{cluster name}` */
  destination: string;
  authentication: 'managed' | 'password';
  username: string;
  ssl: boolean;
  caCertificatePath: string;
  dropDestinationData: boolean;
}

export const EMPTY_MIGRATE_FORM: MigrateForm = {
  source: '',
  migrationHost: '',
  destination: '',
  authentication: 'managed',
  username: '',
  ssl: false,
  caCertificatePath: '',
  dropDestinationData: false,
};

/** The form as a validation's plan fills it, so "Start migration" follows a validation without typing it all again. */
export function migrateFormOf(plan: MigrationPlan, username = ''): MigrateForm {
  return {
    source: `${plan.sourceGroupId}/${plan.sourceClusterName}`,
    migrationHost: `${plan.sourceGroupId}/${plan.migrationHost}`,
    destination: `${plan.groupId}/${plan.destinationClusterName}`,
    authentication: plan.managedAuthentication ? 'managed' : 'password',
    username,
    ssl: plan.ssl,
    caCertificatePath: plan.caCertificatePath ?? '',
    dropDestinationData: plan.dropDestinationData,
  };
}

export interface MigrationsView {
  organization: Organization;
  sources: readonly AvailableProject[];
  destinations: readonly DestinationProject[];
  migrations: readonly LiveMigration[];
  validations: readonly LiveMigrationValidation[];
  canEdit: boolean;
  roleLabel: string;
  csrfToken: string;
  form: MigrateForm;
  error?: { title: string; detail: string } | undefined;
  /** Seconds between the page script's reloads while something runs; the page works without it. */
  refreshSeconds: number;
}

export function migrationsPath(orgId: string): string {
  return `/orgs/${orgId}/live-migration/migrations`;
}

export function cutoverPath(orgId: string, migration: LiveMigration): string {
  return `${migrationsPath(orgId)}/${migration.plan.groupId}/${migration.id}/cutover`;
}

/** The "Migrate a deployment" card (Organization Owner) and the organization's migrations and validations (everyone). */
export function migrationsSections(view: MigrationsView): SafeHtml {
  const running =
    view.migrations.some((m) => m.status === 'NEW' || m.status === 'WORKING') || view.validations.some((v) => v.status === 'PENDING');
  return html`<section class="card" aria-labelledby="migrate-heading" id="migrate">
  <h2 id="migrate-heading">Migrate a deployment</h2>
  <p class="lead">A migration host of the source project copies one Ops Manager deployment into one cluster of this organization, then
  keeps applying the source's changes until you cut over. Validate first: the host checks the source, the credentials and the destination.</p>
  ${view.error !== undefined && alert('error', view.error.title, view.error.detail)}
  ${view.canEdit ? migrateForm(view) : html`<p class="note">Only an Organization Owner can validate, start or cut over a migration. You are signed in as ${view.roleLabel}.</p>`}
</section>
<section class="card" aria-labelledby="migrations-heading" id="migrations"${running ? html` data-auto-refresh="${view.refreshSeconds}"` : ''}>
  <h2 id="migrations-heading">Migrations</h2>
  <p class="hint">${running ? 'Something is running: the page refreshes itself every few seconds while you do not type in a form.' : 'Nothing is running.'}
  <a href="${`/orgs/${view.organization.id}/live-migration`}#migrations">Refresh</a></p>
  ${migrationsTable(view)}
  <h3 id="validations-heading">Validations</h3>
  ${validationsTable(view)}
</section>`;
}

function migrateForm(view: MigrationsView): SafeHtml {
  const deployments = view.sources.filter((p) => p.deployments.length > 0);
  if (deployments.length === 0) {
    return html`<p class="empty">No linked Ops Manager organization has sent a deployment yet: connect one with a link-token first.</p>`;
  }
  if (!view.destinations.some((p) => p.clusters.length > 0)) {
    return html`<p class="empty">This organization has no destination cluster yet. Create one in an Atlas project:
    <code>livelink cluster create --project ATLAS_PROJECT_ID --name Cluster0 --connection-string URI</code></p>`;
  }
  const { form } = view;
  const base = migrationsPath(view.organization.id);
  const selected = (value: string, current: string): SafeHtml | '' => (value === current ? html` selected` : '');
  const checked = (on: boolean): SafeHtml | '' => (on ? html` checked` : '');
  return html`<form class="stack" method="post" action="${base}/validate">
    <input type="hidden" name="csrf" value="${view.csrfToken}">
    <label for="migrate-source">Source deployment</label>
    <select id="migrate-source" name="source" required>
      <option value="">Choose a deployment</option>
      ${deployments.map(
        (p) => html`<optgroup label="${p.name}">
        ${p.deployments.map((d) => {
          const value = `${p.projectId}/${d.name}`;
          return html`<option value="${value}"${selected(value, form.source)}${d.sharded ? html` disabled` : ''}>${d.name} · ${d.sharded ? 'sharded, not supported' : 'replica set'} · MongoDB ${d.mongoDBVersion}</option>`;
        })}
      </optgroup>`,
      )}
    </select>
    <label for="migrate-host">Migration host</label>
    <p class="hint" id="migrate-host-hint">A host of the source deployment's project, running <code>livelink migration-host run</code>.</p>
    <select id="migrate-host" name="migrationHost" required aria-describedby="migrate-host-hint">
      <option value="">Choose a migration host</option>
      ${view.sources
        .filter((p) => p.migrationHosts.length > 0)
        .map(
          (p) => html`<optgroup label="${p.name}">
        ${p.migrationHosts.map((h) => {
          const value = `${p.projectId}/${h}`;
          return html`<option value="${value}"${selected(value, form.migrationHost)}>${h}</option>`;
        })}
      </optgroup>`,
        )}
    </select>
    <label for="migrate-destination">Destination cluster</label>
    <select id="migrate-destination" name="destination" required>
      <option value="">Choose a cluster</option>
      ${view.destinations
        .filter((p) => p.clusters.length > 0)
        .map(
          (p) => html`<optgroup label="${p.name}">
        ${p.clusters.map((c) => {
          const value = `${p.id}/${c}`;
          return html`<option value="${value}"${selected(value, form.destination)}>${c}</option>`;
        })}
      </optgroup>`,
        )}
    </select>
    <fieldset>
      <legend>Source credentials</legend>
      <label class="check"><input type="radio" name="authentication" value="managed"${checked(form.authentication === 'managed')}> Managed by Ops Manager Automation</label>
      <label class="check"><input type="radio" name="authentication" value="password"${checked(form.authentication === 'password')}> A database user of the source</label>
      <div class="pair">
        <div class="stack"><label for="migrate-username">Username</label>
        <input type="text" id="migrate-username" name="username" value="${form.username}" autocomplete="off" spellcheck="false"></div>
        <div class="stack"><label for="migrate-password">Password</label>
        <input type="password" id="migrate-password" name="password" value="" autocomplete="new-password"></div>
      </div>
      <p class="hint">Only with a database user. The password is kept sealed while the validation or migration runs, and never shown again.</p>
    </fieldset>
    <fieldset>
      <legend>Connection</legend>
      <label class="check"><input type="checkbox" name="ssl" value="on"${checked(form.ssl)}> The source uses TLS (SSL)</label>
      <label for="migrate-ca">CA certificate path on the migration host <span class="sub">(optional)</span></label>
      <input type="text" id="migrate-ca" name="caCertificatePath" value="${form.caCertificatePath}" class="mono" autocomplete="off" spellcheck="false">
    </fieldset>
    <fieldset>
      <legend>Destination data</legend>
      <label class="check"><input type="checkbox" name="dropDestinationData" value="on"${checked(form.dropDestinationData)}> Drop the destination cluster's data before copying</label>
      <label class="check danger"><input type="checkbox" name="confirmDrop" value="on"> I understand every database of the destination cluster is deleted</label>
      <p class="hint">Without dropping, the destination must be empty: the validation says so otherwise.</p>
    </fieldset>
    <div class="actions">
      <button type="submit" class="button button-secondary">Validate</button>
      <button type="submit" class="button" formaction="${base}">Start migration</button>
    </div>
  </form>`;
}

function statusBadge(status: string): SafeHtml {
  const kind =
    status === 'COMPLETE' || status === 'SUCCESS' ? 'synced' : status === 'FAILED' || status === 'EXPIRED' ? 'not-synced' : 'pending';
  return html`<span class="badge badge-${kind}" data-status>${status}</span>`;
}

function sourceCell(view: MigrationsView, plan: MigrationPlan): SafeHtml {
  const project = view.sources.find((p) => p.projectId === plan.sourceGroupId);
  return html`${plan.sourceClusterName}<span class="sub">${project?.name ?? plan.sourceGroupId} · ${plan.migrationHost}</span>`;
}

function destinationCell(view: MigrationsView, plan: MigrationPlan): SafeHtml {
  const project = view.destinations.find((p) => p.id === plan.groupId);
  return html`${plan.destinationClusterName}<span class="sub">${project?.name ?? plan.groupId}${plan.dropDestinationData ? ' · data dropped first' : ''}</span>`;
}

function migrationsTable(view: MigrationsView): SafeHtml {
  if (view.migrations.length === 0) return html`<p class="empty">No migration yet.</p>`;
  const rows = view.migrations.map((m) => {
    // As the API answers them (migrationView): ready and lag only while it works; once ended, neither.
    const working = m.status === 'WORKING';
    const ready = working && m.readyForCutover ? 'Yes' : 'No';
    const lag = working && m.lagSeconds !== null ? `${Math.round(m.lagSeconds)} s` : '—';
    const cutoverAsked = m.cutoverRequestedAt !== null && working;
    const action =
      view.canEdit && working && m.readyForCutover && m.cutoverRequestedAt === null
        ? html`<a class="button" href="${cutoverPath(view.organization.id, m)}">Cut over…</a>`
        : cutoverAsked
          ? 'Cutting over'
          : '';
    const copied =
      m.collectionsToCopy > 0 ? html`<span class="sub">${m.collectionsCopied} of ${m.collectionsToCopy} collections</span>` : '';
    return html`<tr data-migration="${m.id}">
  <th scope="row">${sourceCell(view, m.plan)}</th>
  <td>${destinationCell(view, m.plan)}</td>
  <td>${statusBadge(m.status)}</td>
  <td data-phase>${m.phase ?? '—'}</td>
  <td class="num" data-documents>${m.documentsCopied.toLocaleString('en-US')}${copied}</td>
  <td class="num" data-lag>${lag}</td>
  <td><span data-ready>${ready}</span>${action !== '' && html`<span class="cell-action">${action}</span>`}</td>
  <td data-reason>${m.errorMessage ?? ''}</td>
</tr>`;
  });
  return html`<div class="table-scroll" role="region" aria-labelledby="migrations-heading" tabindex="0">
  <table>
    <caption>The organization's latest migrations, newest first</caption>
    <thead><tr><th scope="col">Source</th><th scope="col">Destination</th><th scope="col">Status</th><th scope="col">Phase</th><th scope="col">Documents copied</th><th scope="col">Lag</th><th scope="col">Ready</th><th scope="col">Reason</th></tr></thead>
    <tbody>
    ${rows}
    </tbody>
  </table>
</div>`;
}

function validationsTable(view: MigrationsView): SafeHtml {
  if (view.validations.length === 0) return html`<p class="empty">No validation yet.</p>`;
  const rows = view.validations.map(
    (v) => html`<tr data-validation="${v.id}">
  <th scope="row">${sourceCell(view, v.plan)}</th>
  <td>${destinationCell(view, v.plan)}</td>
  <td>${statusBadge(v.status)}</td>
  <td data-reason>${v.errorMessage ?? ''}</td>
</tr>`,
  );
  return html`<div class="table-scroll" role="region" aria-labelledby="validations-heading" tabindex="0">
  <table>
    <caption>The organization's latest validations, newest first</caption>
    <thead><tr><th scope="col">Source</th><th scope="col">Destination</th><th scope="col">Status</th><th scope="col">Reason</th></tr></thead>
    <tbody>
    ${rows}
    </tbody>
  </table>
</div>`;
}

/** Cutover is the end of writes to the source: the page asks the person to say they stopped them. */
export function cutoverConfirmPage(
  organization: Organization,
  migration: LiveMigration,
  csrfToken: string,
  error?: { title: string; detail: string },
): SafeHtml {
  const back = `/orgs/${organization.id}/live-migration`;
  const { plan } = migration;
  return html`<p class="eyebrow">Atlas</p>
<h1>Cut over?</h1>
<p class="org">${organization.name} <code>${organization.id}</code></p>
<section class="card" aria-labelledby="cutover-heading">
  <h2 id="cutover-heading">Cut over ${plan.sourceClusterName} to ${plan.destinationClusterName}</h2>
  <p class="lead">Stop every application's writes to the source deployment first. The migration host then applies the last changes,
  and the destination cluster holds what the source held: point your applications at it. A cutover cannot be undone.</p>
  ${error !== undefined && alert('error', error.title, error.detail)}
  <dl class="status">
    <dt>Documents copied</dt><dd>${migration.documentsCopied.toLocaleString('en-US')}</dd>
    <dt>Lag</dt><dd>${migration.lagSeconds === null ? '—' : `${Math.round(migration.lagSeconds)} s`}</dd>
  </dl>
  <form class="stack" method="post" action="${cutoverPath(organization.id, migration)}">
    <input type="hidden" name="csrf" value="${csrfToken}">
    <label class="check"><input type="checkbox" name="stoppedWrites" value="on" required> I stopped writes to the source</label>
    <div class="actions">
      <button type="submit" class="button button-danger solid">Cut over</button>
      <a class="button button-secondary" href="${back}">Cancel</a>
    </div>
  </form>
</section>`;
}
