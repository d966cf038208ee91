import type { Page } from '@playwright/test'

/** Debian's Chromium as the browser benches launch it: no GPU, nothing running in the background. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']

/** Calls an API channel from inside the logged-in page (its session cookie), as the renderer does. */
export async function call<T>(page: Page, channel: string, input: object): Promise<T> {
  return page.evaluate(
    async ({ channel, input }) => {
      const res = await fetch(`/api/${channel}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) })
      const body = (await res.json()) as { error?: { message: string } }
      if (!res.ok) throw new Error(body.error?.message ?? res.statusText)
      return body
    },
    { channel, input }
  ) as Promise<T>
}
