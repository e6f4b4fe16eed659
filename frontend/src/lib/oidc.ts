//! What the login page says when an OpenID Connect sign-in came back with
//! `?oidc_error=CODE` (codes from the server's `oidc::Error::code` and `web::auth::oidc`).
//! Only known codes are explained: the URL is anyone's to craft. Pure.

const MESSAGES: Record<string, string> = {
  provider: 'That sign-in provider is not configured here.',
  unavailable: 'The sign-in provider could not be reached or answered wrongly. Try again later.',
  state: 'That sign-in expired or was already used. Start again.',
  busy: 'Too many sign-in attempts. Try again later.',
  denied: 'The sign-in provider did not let you in.',
  issuer: 'The answer came from another sign-in provider; it was refused.',
  token: 'The sign-in provider sent an invalid token; it was refused.',
  email: 'The sign-in provider did not confirm a verified e-mail address.',
  closed: 'There is no account for that e-mail, and registration is closed. Ask the administrator for an invite link.',
  invite: 'That invite link is not valid for this e-mail address, or has expired.',
};

/** The explanation of `code`, or `''` when there is none. */
export function oidcError(code: string | null | undefined): string {
  if (!code) return '';
  return MESSAGES[code] ?? 'Sign-in failed. Start again.';
}
