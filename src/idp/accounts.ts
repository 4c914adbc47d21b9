import { timingSafeEqual, createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { ResolvedLabConfig, ResolvedUser } from '../config/resolve.js';
import { subjectOf } from './mint.js';

/**
 * The lab's users as the IdP sees them: looked up by login name (Dex: the e-mail, case-insensitively,
 * §B1 "Config"; Keycloak: user name or e-mail), by `sub`, and checked against their password or bcrypt hash.
 */
export class Accounts {
  readonly #byLogin = new Map<string, ResolvedUser>();
  readonly #bySubject = new Map<string, ResolvedUser>();
  readonly #byName = new Map<string, ResolvedUser>();
  /** bcrypt is slow by design; a verified (hash, password) pair is remembered for the lab's life. */
  readonly #verified = new Set<string>();

  /** Keycloak trims the login it is given; Dex looks it up as sent, only lower-cased (storage/static.go). */
  readonly #trims: boolean;

  constructor(config: ResolvedLabConfig) {
    const keycloak = config.idp.flavour === 'keycloak';
    this.#trims = keycloak;
    for (const user of config.users) {
      this.#byLogin.set(user.email.toLowerCase(), user);
      if (keycloak) this.#byLogin.set(user.name.toLowerCase(), user);
      this.#bySubject.set(subjectOf(config, { kind: 'user', user }), user);
      this.#byName.set(user.name, user);
    }
  }

  byLogin(login: string): ResolvedUser | undefined {
    return this.#byLogin.get((this.#trims ? login.trim() : login).toLowerCase());
  }

  bySubject(sub: string): ResolvedUser | undefined {
    return this.#bySubject.get(sub);
  }

  /** The CLI and library name users by their short name (`alice`) or e-mail. */
  byName(name: string): ResolvedUser | undefined {
    return this.#byName.get(name) ?? this.#byLogin.get(name.toLowerCase());
  }

  list(): ResolvedUser[] {
    return [...this.#byName.values()];
  }

  async checkPassword(user: ResolvedUser, password: string): Promise<boolean> {
    if (user.password !== undefined) {
      const a = createHash('sha256').update(user.password).digest();
      const b = createHash('sha256').update(password).digest();
      return timingSafeEqual(a, b);
    }
    // Dex accepts the bcrypt string or its base64 (§B1 "Config").
    let hash = user.hash ?? '';
    if (!hash.startsWith('$2')) hash = Buffer.from(hash, 'base64').toString('utf8');
    const memo = `${hash}\u0000${createHash('sha256').update(password).digest('hex')}`;
    if (this.#verified.has(memo)) return true;
    const ok = await bcrypt.compare(password, hash).catch(() => false);
    if (ok) this.#verified.add(memo);
    return ok;
  }
}
