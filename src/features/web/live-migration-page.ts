import type { AvailableProject } from '../link-tokens/available-project.js';
import type { Organization } from '../organizations/organization.js';
import { html, type SafeHtml } from './html.js';
import { alert, confirmActions, notice, type Notice } from './layout.js';

export interface LiveMigrationView {
  organization: Organization;
  projects: readonly AvailableProject[];
  canEdit: boolean;
  roleLabel: string;
  csrfToken: string;
  /** What the person typed in the access-list field, given back after a refusal. */
  accessListText?: string | undefined;
  notice?: Notice | undefined;
  error?: { title: string; detail: string } | undefined;
  /** The "Migrate a deployment" form and the organization's migrations (migrate-page.ts). */
  migrations?: SafeHtml | undefined;
}

export function liveMigrationPath(orgId: string): string {
  return `/orgs/${orgId}/live-migration`;
}

function heading(organization: Organization, title: string): SafeHtml {
  return html`<p class="eyebrow">Atlas</p>
<h1>${title}</h1>
<p class="org">${organization.name} <code>${organization.id}</code></p>`;
}

/** Atlas: Live Migration → "Migrate from Ops Manager" → "Generate Link-Token", and what linked sources pushed. */
export function liveMigrationPage(view: LiveMigrationView): SafeHtml {
  const path = liveMigrationPath(view.organization.id);
  return html`${heading(view.organization, 'Live Migration')}
${notice(view.notice)}
<section class="card" aria-labelledby="generate-heading">
  <h2 id="generate-heading">Generate Link-Token</h2>
  <p class="lead">Ops Manager connects to this organization with a link-token. The token holds an API key that may only send
  project and deployment information (never your data), and only from the addresses you list here.</p>
  ${view.error !== undefined && alert('error', view.error.title, view.error.detail)}
  ${
    view.canEdit
      ? html`<form class="stack" method="post" action="${path}/link-tokens" data-access-list="access-list-error" novalidate>
    <input type="hidden" name="csrf" value="${view.csrfToken}">
    <label for="access-list">Ops Manager IP addresses or CIDR blocks</label>
    <p class="hint" id="access-list-hint">The external addresses of your Ops Manager hosts (or their gateway), one per line or separated by commas,
    for example <code>203.0.113.10</code> or <code>203.0.113.0/24</code>. Leave empty to accept the token from any address.</p>
    <textarea id="access-list" name="accessListIps" class="mono" rows="3" maxlength="16000" autocomplete="off" spellcheck="false" aria-describedby="access-list-hint access-list-error">${view.accessListText ?? ''}</textarea>
    <p class="field-error" id="access-list-error" role="alert" hidden></p>
    <div class="actions"><button type="submit" class="button">Generate Link-Token</button></div>
  </form>`
      : html`<p class="note">Only an Organization Owner can generate or revoke link-tokens. You are signed in as ${view.roleLabel}.</p>`
  }
</section>
${
  view.canEdit &&
  html`<section class="card" aria-labelledby="revoke-heading">
  <h2 id="revoke-heading">Revoke link-tokens</h2>
  <p class="lead">Revoking removes every link-token of this organization and the API keys inside them. Linked Ops Manager organizations
  can no longer send updates; their status turns NOT_SYNCED at their next attempt.</p>
  <div class="actions"><a class="button button-danger" href="${path}/revoke">Revoke link-tokens…</a></div>
</section>`
}
<section class="card" aria-labelledby="projects-heading">
  <h2 id="projects-heading">Available projects</h2>
  ${projectsTable(view.projects)}
</section>
${view.migrations}`;
}

function projectsTable(projects: readonly AvailableProject[]): SafeHtml {
  if (projects.length === 0) {
    return html`<p class="empty">No Ops Manager organization has sent projects yet. Generate a link-token and connect an Ops Manager organization with it.</p>`;
  }
  const rows = projects.flatMap((project) => {
    const hosts = project.migrationHosts.length === 0 ? '—' : project.migrationHosts.join(', ');
    const projectCell = html`<th scope="row">${project.name}<span class="sub"><code>${project.projectId}</code></span></th>`;
    if (project.deployments.length === 0) {
      return [html`<tr>${projectCell}<td colspan="5">No deployments</td><td>${hosts}</td></tr>`];
    }
    return project.deployments.map(
      (
        d,
      ) => html`<tr>${projectCell}<td>${d.name}<span class="sub">${d.sharded ? `Sharded, ${d.shardsSize ?? '?'} shards` : 'Replica set'}${d.managed ? '' : ', monitored only'}</span></td>
  <td>${d.mongoDBVersion}</td><td>${d.featureCompatibilityVersion}</td><td>${d.tlsEnabled ? 'On' : 'Off'}</td>
  <td class="num">${d.dbSizeBytes === undefined ? '—' : bytes(d.dbSizeBytes)}</td><td>${hosts}</td></tr>`,
    );
  });
  return html`<div class="table-scroll" role="region" aria-labelledby="projects-heading" tabindex="0">
  <table>
    <caption>Projects and deployments sent by linked Ops Manager organizations</caption>
    <thead><tr><th scope="col">Project</th><th scope="col">Deployment</th><th scope="col">MongoDB</th><th scope="col">FCV</th><th scope="col">TLS</th><th scope="col">Data size</th><th scope="col">Migration hosts</th></tr></thead>
    <tbody>
    ${rows}
    </tbody>
  </table>
</div>`;
}

function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value >= 10 ? 0 : 1)} ${units[unit] ?? ''}`;
}

/** The token, once: the page that answers the POST; livelink keeps no copy it could show again. */
export function linkTokenPage(organization: Organization, token: string): SafeHtml {
  const path = liveMigrationPath(organization.id);
  return html`${heading(organization, 'Live Migration')}
<section class="card" aria-labelledby="token-heading">
  <h2 id="token-heading">Your link-token</h2>
  ${alert('warning', 'Copy this link-token now: it will not be shown again.', 'It holds an API key of this organization. Keep it as you would a password.')}
  <div class="stack">
    <label for="link-token">Link-token</label>
    <textarea id="link-token" class="mono token" rows="4" readonly spellcheck="false">${token}</textarea>
    <div class="actions">
      <button type="button" class="button" data-copy="link-token" data-copy-status="copy-status" data-js-only hidden>Copy link-token</button>
      <a class="button button-secondary" href="${path}">Done</a>
    </div>
    <p class="copy-status" id="copy-status" role="status"></p>
  </div>
  <h3>Next, in Ops Manager</h3>
  <ol class="steps">
    <li>Open Organization Settings → Live Migration: Connect to Atlas.</li>
    <li>Paste the link-token and choose Connect to Atlas.</li>
  </ol>
</section>`;
}

export function revokeConfirmPage(organization: Organization, csrfToken: string): SafeHtml {
  const path = liveMigrationPath(organization.id);
  return html`${heading(organization, 'Revoke link-tokens?')}
<section class="card" aria-labelledby="confirm-heading">
  <h2 id="confirm-heading">Revoke every link-token of ${organization.name}</h2>
  <p class="lead">The API keys inside the tokens stop working at once, and the projects linked Ops Manager organizations sent are removed from this page.
  An Ops Manager organization needs a new link-token to connect again.</p>
  ${confirmActions(`${path}/revoke`, 'Revoke', path, csrfToken)}
</section>`;
}
