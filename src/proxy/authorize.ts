// Who may get in once authenticated (oauth2-proxy-and-dex.md §A5 "Access restriction"): `--email-domain`
// (validator.go `newValidatorImpl`, `isEmailValidWithDomains`) and `--allowed-group`
// (providers/provider_data.go `setAllowedGroups`, provider_default.go `Authorize`).

/**
 * The `--email-domain` check. An empty e-mail never passes, even with `*` (`valid` starts false); otherwise `*`
 * allows everything, malformed addresses included. Both sides are lower-cased, as Go does.
 */
export function emailDomainAllowed(email: string, domains: readonly string[]): boolean {
  if (email === '') return false;
  if (domains.includes('*')) return true;
  return isEmailValidWithDomains(
    email.toLowerCase(),
    domains.map((d) => d.toLowerCase()),
  );
}

/**
 * validator.go `isEmailValidWithDomains`: exactly one `@`; then `@domain` as a suffix, or for `.d` and `*.d` the
 * part after `@` ending in `.d` (a plain suffix test, so `.example.com` does not admit `example.com` itself).
 */
function isEmailValidWithDomains(email: string, domains: readonly string[]): boolean {
  const atoms = email.split('@');
  if (atoms.length !== 2) return false;
  const host = atoms[1]!;
  return domains.some(
    (domain) =>
      email.endsWith(`@${domain}`) ||
      (domain.startsWith('.') && host.endsWith(domain)) ||
      (domain.startsWith('*.') && host.endsWith(domain.slice(1))),
  );
}

/** `Authorize`: no (non-empty) `--allowed-group` allows all; otherwise any shared group (empty ones dropped, v7.15.0). */
export function groupsAllowed(groups: readonly string[], allowed: readonly string[]): boolean {
  // A walk, not a Set of the allowed groups: this runs on every proxied call, and the lists are short.
  let restricted = false;
  for (const g of allowed) {
    if (g === '') continue;
    restricted = true;
    if (groups.includes(g)) return true;
  }
  return !restricted;
}
