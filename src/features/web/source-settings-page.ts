import type { MigrationLink } from '../migration-link/migration-link.js';
import type { Organization } from '../organizations/organization.js';
import { html, type SafeHtml } from './html.js';
import { alert, confirmActions, notice, when, type Notice } from './layout.js';

export interface SourceSettingsView {
  organization: Organization;
  link: MigrationLink | undefined;
  /** Only an Organization Owner gets the controls; everyone else reads the status. */
  canEdit: boolean;
  roleLabel: string;
  csrfToken: string;
  notice?: Notice | undefined;
  error?: { title: string; detail: string } | undefined;
  now: Date;
}

export function settingsPath(orgId: string): string {
  return `/orgs/${orgId}/settings`;
}

/** Ops Manager: Organization Settings → General Settings → "Live Migration: Connect to Atlas". */
export function sourceSettingsPage(view: SourceSettingsView): SafeHtml {
  const { organization, link } = view;
  const linked = link?.state === 'LINKED';
  const path = settingsPath(organization.id);
  return html`<p class="eyebrow">Ops Manager</p>
<h1>Organization Settings</h1>
<p class="org">${organization.name} <code>${organization.id}</code></p>
<section class="card" aria-labelledby="connect-heading">
  <h2 id="connect-heading">Live Migration: Connect to Atlas</h2>
  <p class="lead">Connect this organization to an Atlas organization to migrate its deployments to Atlas with Live Migration.
  Ops Manager then sends the organization's projects, deployments and migration hosts (never your data) to Atlas, and again whenever they change.</p>
  ${notice(view.notice)}
  ${view.error !== undefined && alert('error', view.error.title, view.error.detail)}
  ${statusList(link, view.now)}
  ${
    !view.canEdit
      ? html`<p class="note">Only an Organization Owner can connect to Atlas, refresh or disconnect. You are signed in as ${view.roleLabel}.</p>`
      : linked
        ? html`<div class="actions">
    <form method="post" action="${path}/refresh">
      <input type="hidden" name="csrf" value="${view.csrfToken}">
      <button type="submit" class="button">Refresh</button>
    </form>
    <a class="button button-danger" href="${path}/disconnect">Disconnect…</a>
  </div>
  <p class="hint">Refresh sends the organization's projects and deployments to Atlas now.</p>`
        : link?.state === 'PENDING'
          ? html`<p class="note">A connection to Atlas is being made. Reload this page in a moment.</p>`
          : connectForm(path, view.csrfToken)
  }
</section>`;
}

function statusList(link: MigrationLink | undefined, now: Date): SafeHtml {
  if (link === undefined) {
    return html`<dl class="status">
    <dt>Status</dt><dd><span class="badge badge-not-synced">NOT_SYNCED</span> <span class="when">Not connected to Atlas</span></dd>
  </dl>`;
  }
  if (link.state === 'PENDING') {
    return html`<dl class="status">
    <dt>Status</dt><dd><span class="badge badge-pending">CONNECTING</span></dd>
    <dt>Atlas organization</dt><dd>${link.targetOrgName} <code>${link.targetOrgId}</code></dd>
  </dl>`;
  }
  const synced = link.status === 'SYNCED';
  return html`<dl class="status" aria-label="Connection status">
    <dt>Status</dt><dd><span class="badge ${synced ? 'badge-synced' : 'badge-not-synced'}" data-status>${link.status}</span></dd>
    <dt>Atlas organization</dt><dd>${link.targetOrgName} <code>${link.targetOrgId}</code></dd>
    <dt>Last synced</dt><dd>${when(link.lastSyncedAt, now)}</dd>
    <dt>Last attempt</dt><dd>${when(link.lastAttemptAt, now)}</dd>
    ${link.lastError !== null && html`<dt>Last error</dt><dd class="field-error" data-last-error>${link.lastError}</dd>`}
  </dl>`;
}

function connectForm(path: string, csrfToken: string): SafeHtml {
  return html`<h3>Connect to Atlas</h3>
  <form class="stack" method="post" action="${path}/connect">
    <input type="hidden" name="csrf" value="${csrfToken}">
    <label for="link-token">Link-token</label>
    <p class="hint" id="link-token-hint">In Atlas, open Live Migration → Generate Link-Token, copy the token, and paste it here.</p>
    <textarea id="link-token" name="linkToken" class="mono" rows="4" required maxlength="4096" autocomplete="off" autocapitalize="none" spellcheck="false" aria-describedby="link-token-hint"></textarea>
    <div class="actions"><button type="submit" class="button">Connect to Atlas</button></div>
  </form>`;
}

export function disconnectConfirmPage(organization: Organization, link: MigrationLink, csrfToken: string): SafeHtml {
  const path = settingsPath(organization.id);
  return html`<p class="eyebrow">Ops Manager</p>
<h1>Disconnect from Atlas?</h1>
<p class="org">${organization.name} <code>${organization.id}</code></p>
<section class="card" aria-labelledby="confirm-heading">
  <h2 id="confirm-heading">Disconnect from ${link.targetOrgName}</h2>
  <p class="lead">Ops Manager stops sending this organization's projects and deployments to Atlas, and Atlas is told to forget them.
  To connect again you need a new link-token from Atlas.</p>
  ${confirmActions(`${path}/disconnect`, 'Disconnect', path, csrfToken)}
</section>`;
}
