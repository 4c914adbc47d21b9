// The plugin's users router, `/api/2.0/mlflow/users…` (mlflow-oidc-auth.md §3.3 "Basic auth with a personal access
// token", §4.8; `routers/users.py`, `user.py`, `repository/user.py`): the user list, the admin's user CRUD, the
// caller's profile and the personal access token.
import {
  bodyModel,
  boolQuery,
  callerIsAdmin,
  embeddedBodyField,
  json,
  rejectProblems,
  requireAdmin,
  route,
  type RouteContext,
} from './api-fastapi.js';
import { exactUser } from './api-lookups.js';
import { ADMIN_REQUIRED, detailError } from './errors.js';
import { randomAlphanumeric, type UserRow } from './store.js';
import type { OidcAuthDeps } from './types.js';

const USERS = '/api/2.0/mlflow/users';

/** In FastAPI's registration order: `/current` and `/access-token` before `/{username}`. */
export const usersRoutes = [
  route('PATCH', `${USERS}/access-token`, createAccessToken),
  route('GET', USERS, listUsers),
  route('POST', USERS, createUser),
  route('DELETE', USERS, deleteUser),
  route('GET', `${USERS}/current`, currentUser),
  route('GET', `${USERS}/{username}`, userInformation),
];

/** `CurrentUserProfile`, its keys in the model's (alphabetical) order (L1c). */
export function userProfile(deps: OidcAuthDeps, user: UserRow) {
  return {
    display_name: user.displayName,
    groups: deps.store.groupsOf(user).map((g) => ({ id: g.id, group_name: g.name })),
    id: user.id,
    is_admin: user.isAdmin,
    is_service_account: user.isServiceAccount,
    password_expiration: user.passwordExpiration === null ? null : pythonIsoformat(user.passwordExpiration),
    username: user.username,
  };
}

/** `GET /users[?service=true]`: usernames, people or service accounts, for any authenticated caller (L6b). */
async function listUsers({ deps, req }: RouteContext) {
  const service = boolQuery(req, 'service', false);
  rejectProblems(service.problems);
  return json(
    deps.store
      .users()
      .filter((u) => u.isServiceAccount === service.value)
      .map((u) => u.username),
  );
}

/**
 * `POST /users` (admin, P4): `create_user` answers 201 for a new user, 200 for an existing one, whose admin and
 * service-account flags it overwrites (display name kept). The plugin stores the username as given; the lab's
 * store lower-cases it (every identity is looked up lower-cased, so a mixed-case row could never sign in anyway).
 */
async function createUser({ deps, req, identity }: RouteContext) {
  requireAdmin(identity);
  const body = bodyModel(req, {
    username: { kind: 'str' },
    display_name: { kind: 'str' },
    is_admin: { kind: 'bool', optional: true },
    is_service_account: { kind: 'bool', optional: true },
  });
  rejectProblems(body.problems);
  const { username, display_name, is_admin, is_service_account } = body.value as {
    username: string;
    display_name: string;
    is_admin: boolean;
    is_service_account: boolean;
  };
  // The store keys users lower-cased, so a name differing only in case is the same user here (the plugin, whose
  // column is case-sensitive, would add a second one).
  const existing = deps.store.user(username);
  if (existing) {
    deps.store.updateUser(existing, { isAdmin: is_admin, isServiceAccount: is_service_account });
    return json({ message: `User ${existing.username} (ID: ${existing.id}) already exists` });
  }
  // MLflow's `_validate_username` refuses an empty name; the router turns any failure into its 500.
  if (username === '') throw detailError(500, 'Failed to create user');
  const { user } = await deps.store.createOrUpdateUser({
    username,
    displayName: display_name,
    isAdmin: is_admin,
    isServiceAccount: is_service_account,
  });
  return json({ message: `User ${user.username} (ID: ${user.id}) successfully created` }, 201);
}

/** `DELETE /users` with `{"username": …}` (admin); an unknown user is the router's 500, not a 404. */
async function deleteUser({ deps, req, identity }: RouteContext) {
  requireAdmin(identity);
  const field = embeddedBodyField(req, 'username', 'str');
  rejectProblems(field.problems);
  const username = field.value as string;
  // `get_user_profile` raises for a missing user, which the router's catch-all turns into a 500.
  if (!exactUser(deps, username)) throw detailError(500, 'Failed to delete user');
  deps.store.deleteUser(username);
  return json({ message: `User ${username} has been successfully deleted` });
}

/** `GET /users/current`: the caller's profile; without a DB row 404 (B1b). */
async function currentUser({ deps, identity }: RouteContext) {
  const user = exactUser(deps, identity.username);
  if (!user) throw detailError(404, 'User not found');
  return json(userProfile(deps, user));
}

/** `GET /users/{username}` (admin, L6c/L6d). */
async function userInformation({ deps, identity, params }: RouteContext) {
  requireAdmin(identity);
  const user = exactUser(deps, params.username);
  if (!user) throw detailError(404, 'User not found');
  return json(userProfile(deps, user));
}

const YEAR_AND_A_DAY_MS = 366 * 24 * 3600 * 1000;

/**
 * `PATCH /users/access-token` (§3.3 T1-T8): a new 24-character token for the caller, or for another user when an
 * admin names one. The order is the plugin's: the caller's row (404 without one), the body, the 403, the
 * expiration, then the target (a missing one is the router's 500).
 */
async function createAccessToken({ deps, req, identity }: RouteContext) {
  const isAdmin = callerIsAdmin(identity);
  const body = bodyModel(
    req,
    { username: { kind: 'str', optional: true }, expiration: { kind: 'str', optional: true } },
    { optionalBody: true },
  );
  rejectProblems(body.problems);
  const requested = body.value?.username as string | undefined;
  const target = requested || identity.username;
  if (requested && requested !== identity.username && !isAdmin) throw detailError(403, ADMIN_REQUIRED);

  let expiration: number | undefined;
  const text = body.value?.expiration as string | undefined;
  if (text) {
    const parsed = parsePythonIsoDatetime(text.endsWith('Z') ? `${text.slice(0, -1)}+00:00` : text);
    if (parsed === undefined) throw detailError(400, 'Invalid expiration date format');
    // A naive datetime compared with `datetime.now(timezone.utc)` is a TypeError, which only the router's
    // catch-all handles.
    if (parsed.offsetMs === undefined) throw detailError(500, 'Failed to create access token');
    const instant = parsed.wallMs - parsed.offsetMs;
    const now = deps.now();
    if (instant < now) throw detailError(400, 'Expiration date must be in the future');
    if (instant > now + YEAR_AND_A_DAY_MS)
      throw detailError(400, 'Expiration date must be less than 1 year in the future');
    // SQLite's DATETIME column keeps the wall-clock fields and drops the offset; the value is read back as UTC.
    expiration = parsed.wallMs;
  }

  const user = exactUser(deps, target);
  if (!user) throw detailError(500, 'Failed to create access token');
  const token = randomAlphanumeric(24);
  await deps.store.setAccessToken(user, token, expiration);
  return json({ token, message: `Token for ${target} has been created` });
}

/**
 * Python's naive `datetime.isoformat()` of a UTC instant in ms (fractional ms carry the microseconds):
 * `2026-12-07T19:59:47.916139`, without the fraction when it is zero.
 */
export function pythonIsoformat(ms: number): string {
  const totalMicros = Math.round(ms * 1000);
  const micros = ((totalMicros % 1_000_000) + 1_000_000) % 1_000_000;
  const base = new Date((totalMicros - micros) / 1000).toISOString().slice(0, 19);
  return micros === 0 ? base : `${base}.${String(micros).padStart(6, '0')}`;
}

/**
 * `datetime.fromisoformat` (Python 3.11+): `YYYY-MM-DD` or `YYYYMMDD`, then optionally any one separator character
 * and a time `HH[:MM[:SS[.ffffff]]]` (or without colons; a comma may stand for the point; digits past the sixth
 * dropped), then optionally `Z` or an offset `±HH[:MM[:SS[.ffffff]]]`. `wallMs`: the fields read as UTC, with
 * fractional ms for the microseconds; `offsetMs`: undefined for a naive datetime.
 */
export function parsePythonIsoDatetime(
  text: string,
): { wallMs: number; offsetMs: number | undefined } | undefined {
  const date = /^(\d{4})-(\d{2})-(\d{2})/.exec(text) ?? /^(\d{4})(\d{2})(\d{2})/.exec(text);
  if (!date) return undefined;
  const rest = [...text.slice(date[0].length)];
  // Any one character separates the date from the time.
  const clock = rest.slice(1).join('');
  if (rest.length === 1) return undefined;
  const time =
    clock === ''
      ? []
      : (/^(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(Z|[+-].*)?$/s.exec(clock) ??
        /^(\d{2})(?:(\d{2})(?:(\d{2})(?:[.,](\d+))?)?)?(Z|[+-].*)?$/s.exec(clock));
  if (!time) return undefined;
  const [, h = '0', mi = '0', s = '0', frac = '', zone = ''] = time;
  const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
  const [hour, minute, second] = [Number(h), Number(mi), Number(s)];
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !leap(year) ? 1 : 0);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const when = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  when.setUTCFullYear(year);
  const wallMs = when.getTime() + (frac === '' ? 0 : Number(frac.slice(0, 6).padEnd(6, '0')) / 1000);
  if (zone === '') return { wallMs, offsetMs: undefined };
  if (zone === 'Z') return { wallMs, offsetMs: 0 };
  const z =
    /^([+-])(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?$/.exec(zone) ??
    /^([+-])(\d{2})(?:(\d{2})(?:(\d{2})(?:[.,](\d+))?)?)?$/.exec(zone);
  if (!z) return undefined;
  const [, sign, zh, zm = '0', zs = '0', zf = ''] = z;
  if (Number(zh) > 23 || Number(zm) > 59 || Number(zs) > 59) return undefined;
  const offset =
    (Number(zh) * 3600 + Number(zm) * 60 + Number(zs)) * 1000 +
    (zf === '' ? 0 : Number(zf.slice(0, 6).padEnd(6, '0')) / 1000);
  return { wallMs, offsetMs: sign === '-' ? -offset : offset };
}

const leap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
