import { html, type SafeHtml } from './html.js';
import { alert, notice, type Notice } from './layout.js';

export interface LoginView {
  /** The double-submit token, also in the login cookie. */
  csrfToken: string;
  /** Where to go after signing in (a page path livelink checked), or ''. */
  next: string;
  username: string;
  error?: { title: string; detail: string } | undefined;
  notice?: Notice | undefined;
}

export function loginPage(view: LoginView): SafeHtml {
  return html`<div class="login">
<h1>Sign in to livelink</h1>
<p class="org">Ops Manager organization settings and Atlas live migration.</p>
${notice(view.notice)}
${view.error !== undefined && alert('error', view.error.title, view.error.detail)}
<section class="card">
  <form class="stack" method="post" action="/login">
    <input type="hidden" name="csrf" value="${view.csrfToken}">
    <input type="hidden" name="next" value="${view.next}">
    <label for="username">Username</label>
    <input type="text" id="username" name="username" value="${view.username}" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="256"${view.username === '' ? html` autofocus` : ''}>
    <label for="password">Password</label>
    <input type="password" id="password" name="password" autocomplete="current-password" required maxlength="256"${view.username !== '' ? html` autofocus` : ''}>
    <div class="actions"><button type="submit" class="button">Sign in</button></div>
  </form>
</section>
<p class="footer-note">Accounts are made with <code>livelink user create</code>; <code>npm start</code> prints the demo accounts.</p>
</div>`;
}
