/** Asks the server whether it is up; `false` on any network or HTTP error. */
export async function checkHealth(fetcher: typeof fetch = fetch): Promise<boolean> {
  try {
    const res = await fetcher('/healthz', { cache: 'no-store' });
    return res.ok;
  } catch {
    return false;
  }
}
