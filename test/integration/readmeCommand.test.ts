import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { callApi, logIn, serveUntilLoginUrl, type Served } from '../fixtures/serve'

// The README's run command, verbatim, on a fresh clone of this repository: a real `npm ci` (no
// node_modules reused: the quiet, deterministic install is part of what is checked), the build, and
// `avs serve` creating the project; then a login through the printed URL. Several minutes on 2 cores.
const repo = resolve(__dirname, '../..')
const root = mkdtempSync(join(tmpdir(), 'avs-readme-'))
const home = join(root, 'home')
const clone = join(root, 'clone')
let served: Served | undefined

afterAll(async () => {
  await served?.stop()
  rmSync(root, { recursive: true, force: true })
})

/** The first line of the sh block under "**Run the app**" in README.md. */
function readmeRunCommand(): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8')
  const m = /\*\*Run the app\*\*[\s\S]*?```sh\n([^\n]+)\n/.exec(readme)
  if (!m) throw new Error('README.md has no sh block after "**Run the app**"')
  return m[1]
}

/** The environment of a new login shell: this process's npm/vitest variables would steer the inner npm. */
function freshShellEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|INIT_CWD$|NODE_OPTIONS$|NODE_ENV$|VITEST|TEST$|AVS_|XDG_CONFIG_HOME$|ELECTRON_)/i.test(k)) continue
    env[k] = v
  }
  // The user's npm settings and package cache (not the new HOME's empty ones): no re-download of ~300 MB.
  const npmConfig = (key: string): string => execFileSync('npm', ['config', 'get', key], { env, encoding: 'utf8' }).trim()
  return { ...env, npm_config_cache: npmConfig('cache'), npm_config_userconfig: npmConfig('userconfig'), HOME: home }
}

describe("the README's run command on a fresh clone", () => {
  test('installs without a warning, creates the project and prints a login URL that logs in', async () => {
    const command = readmeRunCommand()
    const m = /^(?:\w+=\S+ )*npm ci && npm run serve -- (\S+)$/.exec(command)
    expect(m, `README run command has an unexpected shape: ${command}`).not.toBeNull()
    const projectArg = m![1]
    const expectedDir = projectArg.replace(/^~(?=\/)/, home)

    const env = freshShellEnv()
    mkdirSync(home)
    execFileSync('git', ['clone', '--quiet', '--no-hardlinks', repo, clone], { stdio: 'ignore' })
    expect(existsSync(join(clone, 'node_modules'))).toBe(false)

    served = await serveUntilLoginUrl('bash', ['-c', command], { cwd: clone, env, timeoutMs: 20 * 60_000 })
    const log = served.log()
    // npm ci: no warning about our configuration (unknown .npmrc keys, unreviewed install scripts, engines), nor any other.
    expect(log).not.toMatch(/Unknown (project|user|global|env|cli) config|EBADENGINE|install-scripts|allowScripts/)
    expect(log.split('\n').filter((l) => /^npm (warn|WARN|error|ERR)/.test(l))).toEqual([])
    expect(log).toContain(`Created S4 project "${projectArg.split('/').pop()}" at ${expectedDir}\n`)
    // The denied onnxruntime-node install script (CUDA download) did not run; the approved native build did.
    expect(existsSync(join(clone, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so'))).toBe(false)
    expect(existsSync(join(clone, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true)

    expect((await callApi(served.loginUrl, undefined, 'project.current', {})).status).toBe(403)
    const cookie = await logIn(served.loginUrl)
    const current = await callApi<{ dir: string; task: string }>(served.loginUrl, cookie, 'project.current', {})
    expect(current.status).toBe(200)
    expect(current.body).toMatchObject({ dir: expectedDir, task: 's4' })
    expect(existsSync(join(expectedDir, 'project.sqlite'))).toBe(true)
  }, 25 * 60_000)
})
