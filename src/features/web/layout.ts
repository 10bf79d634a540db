import { html, type SafeHtml } from './html.js';
import { WEB_ASSETS } from './web-assets.js';

/** Which page of the organization a link points to: the source's settings or the target's live migration. */
export type PageKind = 'source' | 'target';

export interface NavLink {
  kind: PageKind;
  href: string;
}

export interface ShellUser {
  username: string;
  roleLabel: string;
  csrfToken: string;
}

export interface Shell {
  /** The page's own name, first in the window title. */
  title: string;
  body: SafeHtml;
  user?: ShellUser;
  nav?: readonly NavLink[];
  current?: PageKind;
}

const NAV_LABELS: Record<PageKind, string> = { source: 'Organization Settings', target: 'Live Migration' };

/** The document around every page: assets from livelink only, a skip link, the header, and one <main>. */
export function layout(shell: Shell): string {
  const nav = shell.nav ?? [];
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${shell.title} · livelink</title>
<link rel="icon" href="${WEB_ASSETS.icon.path}" type="image/svg+xml">
<link rel="stylesheet" href="${WEB_ASSETS.stylesheet.path}">
<script src="${WEB_ASSETS.script.path}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <div class="top-inner">
    <a class="brand" href="/"><img src="${WEB_ASSETS.icon.path}" alt="" width="22" height="22"> livelink</a>
    ${
      nav.length > 0 &&
      html`<nav class="nav" aria-label="Organization">
      ${nav.map((link) => html`<a href="${link.href}"${link.kind === shell.current ? html` aria-current="page"` : ''}>${NAV_LABELS[link.kind]}</a>`)}
    </nav>`
    }
    ${
      shell.user !== undefined &&
      html`<div class="account">
      <span><strong>${shell.user.username}</strong> · ${shell.user.roleLabel}</span>
      <form method="post" action="/logout">
        <input type="hidden" name="csrf" value="${shell.user.csrfToken}">
        <button type="submit" class="button-quiet">Sign out</button>
      </form>
    </div>`
    }
  </div>
</header>
<main id="main" class="page" tabindex="-1">
${shell.body}
</main>
</body>
</html>
`;
  return page.value;
}

/** A message a page shows after an action: it worked, or it did not quite. */
export interface Notice {
  kind: 'success' | 'warning';
  text: string;
}

export function notice(shown: Notice | undefined): SafeHtml {
  return html`${shown !== undefined && alert(shown.kind, undefined, shown.text)}`;
}

/** An alert above a form: errors are announced at once (role=alert), notices politely (role=status). */
export function alert(kind: 'error' | 'success' | 'warning', title: string | undefined, detail: string | undefined): SafeHtml {
  const role = kind === 'error' ? 'alert' : 'status';
  return html`<div class="alert alert-${kind}" role="${role}">
  ${title !== undefined && html`<p><strong>${title}</strong></p>`}
  ${detail !== undefined && html`<p>${detail}</p>`}
</div>`;
}

/** A date for people, in UTC (the server cannot know the reader's zone without script), with how long ago. */
export function when(iso: string | null, now: Date): SafeHtml {
  if (iso === null) return html`<span class="when">Never</span>`;
  const date = new Date(iso);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  const text = `${date.getUTCDate()} ${months[date.getUTCMonth()] ?? ''} ${date.getUTCFullYear()}, ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`;
  return html`<time datetime="${iso}">${text}</time> <span class="when">(${ago(now.getTime() - date.getTime())})</span>`;
}

function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 10) return 'just now';
  if (seconds < 60) return `${seconds} seconds ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return minutes === 1 ? '1 minute ago' : `${minutes} minutes ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return hours === 1 ? '1 hour ago' : `${hours} hours ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** A page that only says something: a refusal, a page that is not there, a failure. */
export function messagePage(
  title: string,
  detail: string,
  link: { href: string; text: string } = { href: '/', text: 'Go to your organization' },
): SafeHtml {
  return html`<h1>${title}</h1>
<section class="card">
  <p>${detail}</p>
  <p><a href="${link.href}">${link.text}</a></p>
</section>`;
}

/**
 * The buttons of a confirmation page: the state-changing POST (with its CSRF token) and a way back.
 * Both pages that ask before doing something irreversible (revoke, disconnect) use it.
 */
export function confirmActions(action: string, label: string, cancelHref: string, csrfToken: string): SafeHtml {
  return html`<div class="actions">
    <form method="post" action="${action}">
      <input type="hidden" name="csrf" value="${csrfToken}">
      <button type="submit" class="button button-danger solid">${label}</button>
    </form>
    <a class="button button-secondary" href="${cancelHref}">Cancel</a>
  </div>`;
}
