import type { Flavour } from '../config/defaults.js';
import { escapeHtml } from './html.js';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  500: 'Internal Server Error',
};

/**
 * What a browser sees when the authorization request itself is bad (no redirect is possible). Dex renders
 * its error template with the status text and one sentence (oauth2-proxy-and-dex.md §B4: `Invalid client_id.`
 * 404, `Unregistered redirect_uri.` 400); Keycloak shows "We are sorry..." with its own sentence.
 */
export function authorizationErrorPage(
  flavour: Flavour,
  error: { error: string; error_description?: string },
): { status: number; html: string } {
  const dex = flavour === 'dex';
  let status = 400;
  let message = error.error_description ?? error.error;
  if (error.error === 'invalid_client') {
    status = dex ? 404 : 400;
    message = dex ? 'Invalid client_id.' : 'Client not found.';
  } else if (error.error === 'invalid_redirect_uri' || /redirect_uri/.test(message)) {
    message = dex ? 'Unregistered redirect_uri.' : 'Invalid parameter: redirect_uri';
  }
  const heading = dex ? (STATUS_TEXT[status] ?? 'Error') : 'We are sorry...';
  return {
    status,
    html: `<!DOCTYPE html>
<html>
  <head><meta charset="utf-8"><title>${dex ? 'dex' : 'Sign in to mlflow'}</title></head>
  <body>
    <div class="theme-panel">
      <h2 class="theme-heading">${escapeHtml(heading)}</h2>
      <p id="error">${escapeHtml(message)}</p>
    </div>
  </body>
</html>
`,
  };
}
