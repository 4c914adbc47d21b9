// The plugin's own database (`OIDC_USERS_DB_URI`; mlflow-oidc-auth.md §2.2, §3.3, §4.3, §4.8): users and their
// groups, access tokens (the user's password hash), and the permission rules per resource, per user or group,
// exact or by regex. Kept in memory, and in `<stateDir>/oidc-auth/auth-db.json` when the lab keeps its data.
import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AuthlabError } from '../../../errors.js';
import {
  firstMatching,
  strongestOf,
  type PatternRule,
  type PermissionName,
  type PermissionSource,
  type SourceLookup,
} from './permissions.js';

export interface UserRow {
  id: number;
  /** Lower-cased e-mail (or service account name): what every check is keyed on. */
  username: string;
  displayName: string;
  isAdmin: boolean;
  isServiceAccount: boolean;
  /** Werkzeug's `scrypt:32768:8:1$salt$hex` of the user's access token (a random unknown one until minted). */
  passwordHash: string;
  /** When the access token stops working (ms since the epoch, UTC), or null. */
  passwordExpiration: number | null;
  groupIds: number[];
}

export interface GroupRow {
  id: number;
  name: string;
}

/**
 * The tables rules live in. Prompts use the registered-model user and group tables but regex tables of their own
 * (`utils/permissions.py:155-172`).
 */
export type RuleTable = 'experiment' | 'registered_model' | 'scorer' | 'workspace';
export type PatternTable = 'experiment' | 'registered_model' | 'prompt' | 'workspace';

export type Principal = { user: number } | { group: number };

export interface ExactRule {
  table: RuleTable;
  /** Experiment id, model name, `<experiment id>/<scorer name>` or workspace name. */
  key: string;
  principal: Principal;
  permission: PermissionName;
  /**
   * A group's registered-model rule made through the prompt routes: the plugin keeps those in the same table with
   * `prompt = true`, which only decides which listing shows them (§4.8); the permission applies either way.
   */
  prompt?: true;
}

export interface StoredPattern extends PatternRule {
  table: PatternTable;
  principal: Principal;
}

/** The next id of each table: users, groups, and each regex table (`<table>:user` / `<table>:group`). */
interface NextIds {
  user: number;
  group: number;
  patterns: Record<string, number>;
}

export interface Snapshot {
  users: UserRow[];
  groups: GroupRow[];
  rules: ExactRule[];
  patterns: StoredPattern[];
  nextIds: NextIds;
}

/** Werkzeug 3.1's `generate_password_hash` default. */
const SCRYPT = { N: 32768, r: 8, p: 1, keyLength: 64, maxmem: 64 * 1024 * 1024 } as const;
const SALT_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `secrets.choice(ascii_letters + digits)` × n: an access token (24) or a salt (16). */
export function randomAlphanumeric(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += SALT_CHARS[randomInt(SALT_CHARS.length)];
  return out;
}

function scryptHex(secret: string, salt: string): Promise<string> {
  return new Promise((resolve, reject) =>
    scrypt(
      secret,
      salt,
      SCRYPT.keyLength,
      { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: SCRYPT.maxmem },
      (e, key) => (e ? reject(e) : resolve(key.toString('hex'))),
    ),
  );
}

/** Werkzeug's format, so a real plugin's database could hold it. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomAlphanumeric(16);
  return `scrypt:${SCRYPT.N}:${SCRYPT.r}:${SCRYPT.p}$${salt}$${await scryptHex(secret, salt)}`;
}

export class OidcAuthStore {
  #users: UserRow[] = [];
  #groups: GroupRow[] = [];
  #rules: ExactRule[] = [];
  #patterns: StoredPattern[] = [];
  #nextIds: NextIds = { user: 1, group: 1, patterns: {} };
  /**
   * scrypt costs ~100 ms and 32 MB by design, on every Basic request in the plugin. A verified (hash, token) pair is
   * remembered for the lab's life: the answer is the same, without the cost per call.
   */
  readonly #verified = new Set<string>();
  #loaded = false;

  /** `file`: where the database is kept across restarts (read now if it exists), or undefined (in memory). */
  constructor(private readonly file?: string) {
    if (file === undefined) return;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    let saved: Snapshot;
    try {
      saved = JSON.parse(text) as Snapshot;
      if (
        ![saved.users, saved.groups, saved.rules, saved.patterns].every(Array.isArray) ||
        typeof saved.nextIds?.patterns !== 'object'
      )
        throw new Error('not a snapshot of this version');
    } catch (error) {
      throw new AuthlabError(
        'AUTHLAB_STATE_INVALID',
        `the oidc-auth database ${file} cannot be read: ${(error as Error).message}`,
        {
          hint: "Remove the file to start from the lab's seed (users, groups and workspace grants are re-created).",
        },
      );
    }
    this.#users = saved.users;
    this.#groups = saved.groups;
    this.#rules = saved.rules;
    this.#patterns = saved.patterns;
    this.#nextIds = saved.nextIds;
    this.#loaded = true;
  }

  /** A copy of every table, to go back to later (`restore`). */
  snapshot(): Snapshot {
    return structuredClone({
      users: this.#users,
      groups: this.#groups,
      rules: this.#rules,
      patterns: this.#patterns,
      nextIds: this.#nextIds,
    });
  }

  /** Every table as in `saved` (`lab.reset()`: back to the lab's seed). */
  restore(saved: Snapshot): void {
    const copy = structuredClone(saved);
    this.#users = copy.users;
    this.#groups = copy.groups;
    this.#rules = copy.rules;
    this.#patterns = copy.patterns;
    this.#nextIds = copy.nextIds;
    this.#verified.clear();
    this.#save();
  }

  /** Whether the database was read from its file (a lab restarted on its state directory). */
  get loaded(): boolean {
    return this.#loaded;
  }

  // --- users and groups ------------------------------------------------------------------------------------------

  users(): readonly UserRow[] {
    return this.#users;
  }

  /**
   * The row of exactly this username: SQLite compares case-sensitively. Callers pass what the plugin would: a
   * bearer or Basic username and a browser login's e-mail lower-cased, a path parameter as given.
   */
  user(username: string): UserRow | undefined {
    return this.#users.find((u) => u.username === username);
  }

  userById(id: number): UserRow | undefined {
    return this.#users.find((u) => u.id === id);
  }

  groups(): readonly GroupRow[] {
    return this.#groups;
  }

  group(name: string): GroupRow | undefined {
    return this.#groups.find((g) => g.name === name);
  }

  groupsOf(user: UserRow): GroupRow[] {
    return user.groupIds.map((id) => this.#groups.find((g) => g.id === id)!).filter(Boolean);
  }

  /**
   * `create_user` at a browser login: a new user gets an unknown random password; an existing one has `is_admin`
   * re-synced from the admin group and `is_service_account` reset (§3.1).
   */
  async createOrUpdateUser(o: {
    username: string;
    displayName: string;
    isAdmin: boolean;
    isServiceAccount?: boolean;
    /**
     * The lab seeds rows nobody signs in to with a password: an unusable hash (as `!` in /etc/shadow) instead of
     * one of a random secret, which costs scrypt's ~100 ms per user at every start and matches nothing either way.
     */
    unusablePassword?: boolean;
  }): Promise<{ user: UserRow; created: boolean }> {
    const existing = this.user(o.username);
    if (existing) {
      existing.isAdmin = o.isAdmin;
      existing.isServiceAccount = o.isServiceAccount ?? false;
      existing.displayName = o.displayName;
      this.#save();
      return { user: existing, created: false };
    }
    const user: UserRow = {
      id: this.#nextIds.user++,
      // As given: a browser login passes `email.lower()`, an admin's `POST /users` whatever it was sent (§3.3).
      username: o.username,
      displayName: o.displayName,
      isAdmin: o.isAdmin,
      isServiceAccount: o.isServiceAccount ?? false,
      passwordHash: o.unusablePassword ? '!' : await hashSecret(randomAlphanumeric(24)),
      passwordExpiration: null,
      groupIds: [],
    };
    this.#users.push(user);
    this.#save();
    return { user, created: true };
  }

  /** `update_user` with flags only (an admin's `POST /api/2.0/mlflow/users` for an existing user, §3.3). */
  updateUser(user: UserRow, change: Partial<Pick<UserRow, 'isAdmin' | 'isServiceAccount'>>): void {
    Object.assign(user, change);
    this.#save();
  }

  deleteUser(username: string): boolean {
    const user = this.user(username);
    if (!user) return false;
    this.#users = this.#users.filter((u) => u !== user);
    this.#rules = this.#rules.filter((r) => !('user' in r.principal && r.principal.user === user.id));
    this.#patterns = this.#patterns.filter((r) => !('user' in r.principal && r.principal.user === user.id));
    this.#save();
    return true;
  }

  /** `populate_groups`: the groups that do not exist yet, in the order given. */
  ensureGroups(names: readonly string[]): GroupRow[] {
    const rows = names.map((name) => {
      let row = this.group(name);
      if (!row) this.#groups.push((row = { id: this.#nextIds.group++, name }));
      return row;
    });
    this.#save();
    return rows;
  }

  /** `set_user_groups`: the user's groups become exactly these (a login replaces what the last one stored). */
  setUserGroups(user: UserRow, names: readonly string[]): void {
    user.groupIds = this.ensureGroups(names).map((g) => g.id);
    this.#save();
  }

  // --- access tokens -----------------------------------------------------------------------------------------------

  /**
   * A new access token for the user: it becomes the password hash, so the previous token stops working at once. In
   * 7.3.1 a token minted without `expiration` keeps the previous expiry (fixed upstream in 7.7.3, §3.3 T8): with an
   * old expiry in the past the fresh token is refused immediately, as it is there.
   */
  async setAccessToken(user: UserRow, token: string, expiration: number | undefined): Promise<void> {
    user.passwordHash = await hashSecret(token);
    if (expiration !== undefined) user.passwordExpiration = expiration;
    this.#save();
  }

  /** `authenticate_user`: the user exists, its token has not expired, and scrypt agrees. */
  async authenticate(username: string, token: string, now: number): Promise<UserRow | undefined> {
    const user = this.user(username);
    if (!user) return undefined;
    if (user.passwordExpiration !== null && now > user.passwordExpiration) return undefined;
    const pair = `${user.passwordHash}\0${token}`;
    if (this.#verified.has(pair)) return user;
    const [, salt, hex] = user.passwordHash.split('$');
    if (salt === undefined || hex === undefined) return undefined;
    const computed = Buffer.from(await scryptHex(token, salt), 'hex');
    const stored = Buffer.from(hex, 'hex');
    if (computed.length !== stored.length || !timingSafeEqual(computed, stored)) return undefined;
    this.#verified.add(pair);
    return user;
  }

  // --- exact rules -------------------------------------------------------------------------------------------------

  rule(table: RuleTable, key: string, principal: Principal): ExactRule | undefined {
    return this.#rules.find(
      (r) => r.table === table && r.key === key && samePrincipal(r.principal, principal),
    );
  }

  rulesFor(table: RuleTable, key: string): ExactRule[] {
    return this.#rules.filter((r) => r.table === table && r.key === key);
  }

  rulesOf(table: RuleTable, principal: Principal): ExactRule[] {
    return this.#rules.filter((r) => r.table === table && samePrincipal(r.principal, principal));
  }

  /** Adds a rule; false when the principal has one for this resource already (the table's UNIQUE constraint). */
  addRule(
    table: RuleTable,
    key: string,
    principal: Principal,
    permission: PermissionName,
    o: { prompt?: boolean } = {},
  ): boolean {
    if (this.rule(table, key, principal)) return false;
    this.#rules.push({ table, key, principal, permission, ...(o.prompt && { prompt: true as const }) });
    this.#save();
    return true;
  }

  /** Sets a rule, adding it when missing (the creator's MANAGE, a group grant's update). */
  putRule(table: RuleTable, key: string, principal: Principal, permission: PermissionName): void {
    const existing = this.rule(table, key, principal);
    if (existing) existing.permission = permission;
    else this.#rules.push({ table, key, principal, permission });
    this.#save();
  }

  deleteRule(table: RuleTable, key: string, principal: Principal): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter(
      (r) => !(r.table === table && r.key === key && samePrincipal(r.principal, principal)),
    );
    this.#save();
    return this.#rules.length !== before;
  }

  /** Every rule on a resource goes (a registered model deleted), or moves with it (renamed). */
  renameResource(table: RuleTable, from: string, to: string | undefined): void {
    if (to === undefined) this.#rules = this.#rules.filter((r) => !(r.table === table && r.key === from));
    else for (const r of this.#rules) if (r.table === table && r.key === from) r.key = to;
    this.#save();
  }

  // --- regex rules -------------------------------------------------------------------------------------------------

  patternsOf(table: PatternTable, principal: Principal): StoredPattern[] {
    return this.#patterns.filter((p) => p.table === table && samePrincipal(p.principal, principal));
  }

  /**
   * A new regex rule. Each of the plugin's regex tables (per resource kind, user or group) numbers its rows on its
   * own, so ids repeat across tables and a rule is found by table, principal and id together.
   */
  addPattern(
    table: PatternTable,
    principal: Principal,
    rule: { regex: string; priority: number; permission: PermissionName },
  ): StoredPattern {
    const key = `${table}:${'user' in principal ? 'user' : 'group'}`;
    const id = this.#nextIds.patterns[key] ?? 1;
    this.#nextIds.patterns[key] = id + 1;
    const stored: StoredPattern = { id, table, principal, ...rule };
    this.#patterns.push(stored);
    this.#save();
    return stored;
  }

  /** Changes a rule found through `patternsOf`. */
  updatePattern(
    rule: StoredPattern,
    change: Partial<Pick<PatternRule, 'regex' | 'priority' | 'permission'>>,
  ): void {
    Object.assign(rule, change);
    this.#save();
  }

  /** Removes a rule found through `patternsOf`. */
  deletePattern(rule: StoredPattern): void {
    this.#patterns = this.#patterns.filter((p) => p !== rule);
    this.#save();
  }

  // --- resolution --------------------------------------------------------------------------------------------------

  /**
   * What each source says about one resource for one user (§4.3): the user's own rule; the strongest of their groups'
   * rules; the first matching user regex; the first matching regex of any of their groups. A user without a row has
   * no rules and no groups.
   */
  sources(
    rules: { table: RuleTable; key: string } | undefined,
    patterns: { table: PatternTable; name: string } | undefined,
    user: UserRow | undefined,
  ): SourceLookup {
    return (source: PermissionSource) => {
      if (!user) return undefined;
      switch (source) {
        case 'user':
          return rules ? this.rule(rules.table, rules.key, { user: user.id })?.permission : undefined;
        case 'group':
          return rules
            ? strongestOf(
                user.groupIds
                  .map((group) => this.rule(rules.table, rules.key, { group })?.permission)
                  .filter((p): p is PermissionName => p !== undefined),
              )
            : undefined;
        case 'regex':
          return patterns
            ? firstMatching(this.patternsOf(patterns.table, { user: user.id }), patterns.name)?.permission
            : undefined;
        case 'group-regex':
          return patterns
            ? firstMatching(
                user.groupIds.flatMap((group) => this.patternsOf(patterns.table, { group })),
                patterns.name,
              )?.permission
            : undefined;
      }
    };
  }

  #save(): void {
    if (this.file === undefined) return;
    const snapshot: Snapshot = {
      users: this.#users,
      groups: this.#groups,
      rules: this.#rules,
      patterns: this.#patterns,
      nextIds: this.#nextIds,
    };
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify(snapshot), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

const samePrincipal = (a: Principal, b: Principal) =>
  'user' in a ? 'user' in b && a.user === b.user : 'group' in b && a.group === b.group;
