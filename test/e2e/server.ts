import { spawn, type ChildProcess } from 'node:child_process'
import { resolve, join } from 'node:path'
import type { Page } from '@playwright/test'

/** `avs serve --port 0` (the built CLI) for one spec file, with its one-time login URL. */
export class AvsServer {
  private child: ChildProcess | null = null
  log = ''

  start(home: string): Promise<string> {
    const repo = resolve(__dirname, '../..')
    this.log = ''
    return new Promise((resolveUrl, reject) => {
      const child = spawn(process.execPath, [join(repo, 'bin/avs.cjs'), 'serve', '--port', '0'], {
        cwd: repo,
        env: { ...process.env, AVS_HOME: home },
        stdio: ['ignore', 'pipe', 'pipe']
      })
      this.child = child
      const timer = setTimeout(() => reject(new Error(`avs serve printed no login URL in 30 s:\n${this.log}`)), 30_000)
      child.stdout?.on('data', (chunk: Buffer) => {
        this.log += chunk.toString()
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(this.log)
        if (m) {
          clearTimeout(timer)
          resolveUrl(m[1])
        }
      })
      child.stderr?.on('data', (c: Buffer) => (this.log += c.toString()))
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`avs serve exited with ${code}:\n${this.log}`))
      })
    })
  }

  async stop(): Promise<void> {
    const child = this.child
    this.child = null
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(killer)
  }
}

export interface ApiResult<T> {
  status: number
  body: T
}

/** Calls the API from the page, as the app does (same origin, session cookie). */
export function api<T = unknown>(page: Page, channel: string, input: object): Promise<ApiResult<T>> {
  return page.evaluate(
    async ({ channel, input }) => {
      const res = await fetch(`/api/${channel}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) })
      return { status: res.status, body: await res.json() }
    },
    { channel, input }
  ) as Promise<ApiResult<T>>
}
