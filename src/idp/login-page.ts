import type { ResolvedUser } from '../config/resolve.js';
import type { Flavour } from '../config/defaults.js';
import { escapeHtml } from './html.js';

/** Texts of the real login pages: Dex's "Log in to Your Account" password form, Keycloak's "Sign in". */
const TEXTS: Record<
  Flavour,
  { title: string; heading: string; login: string; submit: string; invalid: string }
> = {
  dex: {
    title: 'dex',
    heading: 'Log in to Your Account',
    login: 'Email Address',
    submit: 'Login',
    invalid: 'Invalid Email Address and password.',
  },
  keycloak: {
    title: 'Sign in to mlflow',
    heading: 'Sign in to your account',
    login: 'Username or email',
    submit: 'Sign In',
    invalid: 'Invalid username or password.',
  },
};

export interface LoginPageInput {
  flavour: Flavour;
  action: string;
  clientName: string;
  users: ResolvedUser[];
  login?: string;
  failed?: boolean;
}

/**
 * The login page: a username/password form (the flavour's texts) and, for the lab, a picker that signs in
 * as any lab user with one click. Both post to the same interaction URL.
 */
export function renderLoginPage(input: LoginPageInput): string {
  const t = TEXTS[input.flavour];
  const picker = input.users
    .map(
      (u) =>
        `<li><button type="submit" name="pick" value="${escapeHtml(u.name)}" data-user="${escapeHtml(u.name)}">${escapeHtml(u.name)}</button> <small>${escapeHtml(u.email)}${u.groups.length ? ` · ${escapeHtml(u.groups.join(', '))}` : ''}</small></li>`,
    )
    .join('\n        ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>${escapeHtml(t.title)}</title>
    <style>
      body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; color: #222; }
      input { display: block; width: 100%; padding: .4rem; margin: .2rem 0 .8rem; box-sizing: border-box; }
      .error { color: #b00020; }
      ul { list-style: none; padding: 0; } li { margin: .3rem 0; }
    </style>
  </head>
  <body>
    <h2>${escapeHtml(t.heading)}</h2>
    <p>to continue to <strong>${escapeHtml(input.clientName)}</strong></p>
    ${input.failed ? `<p id="login-error" class="error">${escapeHtml(t.invalid)}</p>` : ''}
    <form method="post" action="${escapeHtml(input.action)}" id="login-form">
      <label for="login">${escapeHtml(t.login)}</label>
      <input id="login" name="login" type="text" autocomplete="username" value="${escapeHtml(input.login ?? '')}" autofocus>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password">
      <button type="submit" id="submit-login">${escapeHtml(t.submit)}</button>
    </form>
    <h3>Lab users</h3>
    <form method="post" action="${escapeHtml(input.action)}" id="user-picker">
      <ul>
        ${picker}
      </ul>
    </form>
  </body>
</html>
`;
}
