import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiErrors } from '../../http/api-error.js';
import { fromFrameworkError, logAnsweredError } from '../../http/error-handler.js';
import { canonicalUsername } from '../users/user.js';
import { readCookies } from './cookies.js';
import { formOf } from './form.js';
import { messagePage } from './layout.js';
import { registerLiveMigrationRoutes } from './live-migration-routes.js';
import { loginPage, type LoginView } from './login-page.js';
import { isToken, newToken } from './session-service.js';
import { registerSourceSettingsRoutes } from './source-settings-routes.js';
import { ASSETS_BY_PATH } from './web-assets.js';
import { redirect, sameToken, sendPage, WebContext, type WebPagesOptions } from './web-context.js';

/** A form is a few fields; anything larger is not one of ours. */
const FORM_LIMIT_BYTES = 32 * 1024;
/** The sign-in form's double-submit cookie lives an hour: long enough to type, short enough to go stale. */
const LOGIN_COOKIE_SECONDS = 3600;

/**
 * The page-path shapes `next` may name after sign-in; anything else (another host, `//evil`, a script URL)
 * is ignored, so the sign-in page cannot be used to send people elsewhere.
 */
const NEXT_PATH = /^\/orgs\/[a-f0-9]{24}\/(settings|live-migration)$/;

/**
 * The web pages, outside the Public API: registered through createHttpServer's `extend` hook in their own
 * Fastify scope, which parses forms (the API parses JSON only), answers errors as HTML pages, and sets the
 * pages' security headers. Cookie sessions, not digest: paths outside /api/ are not digest-authenticated.
 */
export async function registerWebPages(app: FastifyInstance, options: WebPagesOptions): Promise<void> {
  const web = new WebContext(options);
  const { session: SESSION_COOKIE, login: LOGIN_COOKIE } = web.cookieNames;
  // Async with nothing to await, on purpose: Fastify then takes a throw while the pages are declared as a
  // failed registration, so the server refuses to start; a plain function's throw would be uncaught.
  // eslint-disable-next-line @typescript-eslint/require-await
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES },
      (_request, body, done) => {
        done(null, new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8')));
      },
    );
    // Any other body is read and dropped; formOf then refuses it as not a form.
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: FORM_LIMIT_BYTES }, (_request, _body, done) => done(null, undefined));

    scope.addHook('onRequest', (request, _reply, done) => {
      // Browsers say where a request comes from; a cross-site POST is refused before any token is looked at.
      const crossSitePost = request.method === 'POST' && request.headers['sec-fetch-site'] === 'cross-site';
      done(crossSitePost ? apiErrors.invalidCsrfToken() : undefined);
    });
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-security-policy', "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
      reply.header('x-frame-options', 'DENY');
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'same-origin');
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
      return payload;
    });
    scope.setErrorHandler((error, request, reply) => errorPage(error, request, reply));

    scope.get('/assets/:file', async (request, reply) => {
      const asset = ASSETS_BY_PATH.get(request.url.split('?')[0] ?? '');
      if (asset === undefined) throw apiErrors.resourceNotFound(request.url.split('?')[0] ?? '');
      return reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('content-type', asset.contentType)
        .send(asset.body);
    });

    scope.get('/', async (request, reply) => {
      const visitor = await web.visitorOf(request);
      return redirect(reply, visitor === undefined ? '/login' : await web.landingOf(visitor));
    });

    scope.get('/login', async (request, reply) => {
      const visitor = await web.visitorOf(request);
      if (visitor !== undefined) return redirect(reply, await web.landingOf(visitor));
      const next = (request.query as Record<string, unknown> | undefined)?.['next'];
      return showLogin(reply, 200, { next: typeof next === 'string' ? next : '', username: '', notice: web.noticeOf(request) });
    });

    scope.post('/login', async (request, reply) => {
      const form = formOf(request.body);
      const username = form.text('username');
      const password = form.text('password');
      const next = form.text('next');
      const loginToken = readCookies(request.headers.cookie).get(LOGIN_COOKIE) ?? '';
      if (!isToken(loginToken) || !sameToken(form.text('csrf'), loginToken)) {
        return showLogin(reply, 403, { next, username, error: { title: 'The sign-in form expired.', detail: 'Sign in again.' } });
      }
      // Failed sign-ins count per (username, address), in the API keys' throttle, under a prefix no public
      // key has. Only that pair waits: the account still works from everywhere else, so nobody can lock it.
      const throttleKey = `user:${canonicalUsername(username)}`;
      const address = request.livelink.clientIp;
      const wait = await options.loginThrottle.retryAfterSeconds(throttleKey, address);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        return showLogin(reply, 429, {
          next,
          username,
          loginToken,
          error: { title: 'Too many failed sign-ins.', detail: apiErrors.tooManyFailedSignIns(wait).detail },
        });
      }
      const user = await options.users.verify(username, password);
      if (user === undefined) {
        await options.loginThrottle.recordFailure(throttleKey, address);
        request.log.info({ event: 'web-sign-in-failed', ip: address }, 'web sign-in failed');
        return showLogin(reply, 401, {
          next,
          username,
          loginToken,
          error: { title: 'Wrong username or password.', detail: 'Check both and try again.' },
        });
      }
      // A fresh session id at every sign-in, and the browser's previous one ended: an id planted before is worthless.
      const previous = readCookies(request.headers.cookie).get(SESSION_COOKIE);
      if (previous !== undefined) await options.sessions.end(previous);
      const { id, session } = await options.sessions.start(user.id);
      reply.header('set-cookie', [web.cookie(SESSION_COOKIE, id, '/'), web.cookie(LOGIN_COOKIE, '', '/login', 0)]);
      const organization = await options.organizations.getOrganization(user.orgId);
      if (organization === undefined) return redirect(reply, '/login');
      const visitor = { sessionId: id, session, user, organization };
      const target =
        NEXT_PATH.test(next) &&
        next.startsWith(`/orgs/${organization.id}/`) &&
        web.kinds.some((kind) => web.pathOf(kind, organization.id) === next);
      return redirect(reply, target ? next : await web.landingOf(visitor));
    });

    scope.post('/logout', async (request, reply) => {
      const visitor = await web.visitorOf(request);
      if (visitor !== undefined) {
        web.checkCsrf(visitor, formOf(request.body));
        await options.sessions.end(visitor.sessionId);
      }
      reply.header('set-cookie', web.cookie(SESSION_COOKIE, '', '/', 0));
      return redirect(reply, '/login?notice=signed-out');
    });

    if (web.kinds.includes('source')) registerSourceSettingsRoutes(scope, web);
    if (web.kinds.includes('target')) registerLiveMigrationRoutes(scope, web);
  });

  /** The sign-in page; a new double-submit token unless the browser's current one is passed on. */
  function showLogin(reply: FastifyReply, status: number, view: Omit<LoginView, 'csrfToken'> & { loginToken?: string }): FastifyReply {
    const csrfToken = view.loginToken ?? newToken();
    if (view.loginToken === undefined) reply.header('set-cookie', web.cookie(LOGIN_COOKIE, csrfToken, '/login', LOGIN_COOKIE_SECONDS));
    const next = NEXT_PATH.test(view.next) ? view.next : '';
    return sendPage(reply, status, {
      title: 'Sign in',
      body: loginPage({ csrfToken, next, username: view.username, error: view.error, notice: view.notice }),
    });
  }

  /**
   * The pages' one error boundary: a catalogue error shows its detail; anything else is logged and shown
   * as "Unexpected error." with no stack. A 401 becomes 403: a signed-in person lacks the role, and 401
   * would need a WWW-Authenticate challenge that pages do not use.
   */
  async function errorPage(error: unknown, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    // A form's body limit is the parsers' (FORM_LIMIT_BYTES), not the server's.
    const apiError = fromFrameworkError(error, FORM_LIMIT_BYTES);
    logAnsweredError(request.log, error, apiError);
    for (const [name, value] of Object.entries(apiError.headers)) reply.header(name, value);
    const status = apiError.status === 401 ? 403 : apiError.status;
    const visitor = status >= 500 ? undefined : await web.visitorOf(request).catch(() => undefined);
    const body = messagePage(titleOf(status), apiError.detail);
    return sendPage(
      reply,
      status,
      visitor === undefined ? { title: titleOf(status), body } : web.shell(visitor, undefined, titleOf(status), body),
    );
  }
}

function titleOf(status: number): string {
  if (status === 403) return 'Not allowed';
  if (status === 404) return 'Not found';
  if (status === 429) return 'Too many attempts';
  if (status >= 500) return 'Something went wrong';
  return 'Request not valid';
}
