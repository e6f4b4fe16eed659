// What the network says about someone, as a short phrase for the UI.
import type { Participant, Presence } from './types';

/** "Away: lunch", "Online", "Offline · logged in as bob", or '' when nothing is known. */
export function describePresence(p: Presence | Participant | undefined): string {
  if (!p) return '';
  const parts: string[] = [];
  const online = 'online' in p ? p.online : undefined;
  if (online === false) parts.push('Offline');
  else if (p.away !== undefined && p.away !== null) parts.push(p.away ? `Away: ${p.away}` : 'Away');
  else if (online === true) parts.push('Online');
  if (p.account) parts.push(`logged in as ${p.account}`);
  return parts.join(' · ');
}

/** Someone known to be away (or offline). */
export function isAway(p: Presence | Participant | undefined): boolean {
  if (!p) return false;
  if ('online' in p && p.online === false) return true;
  return p.away !== undefined && p.away !== null;
}
