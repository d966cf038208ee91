import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { ApiError } from '../shared/api'
import { Split, TaskType, type ImportProgress, type ReviewStatus } from '../shared/domain'
import { createApp, type App } from './app'
import { startWebHost } from './web/server'
import { diskFullError } from './services/project/diskFull'
import { DB_FILE } from './services/project/ProjectService'
import { checkProjectTarget } from './services/project/targetFolder'
import { isSafeName } from './services/avsbench/layout'
import { sweepTempsBeside } from './services/project/tempFolders'
import { AVSBENCH_USAGE, clipIdsArg, cmdEval, cmdExport, cmdImportAvsbench, cmdImportPredictions, type CliArgs } from './services/avsbench/avsbenchCli'
import { cmdMasks } from './services/avsbench/masksCli'
import { readdir, stat, writeFile } from 'node:fs/promises'
import { ProviderChoice, modelLicenseText, modelSourceText, type JobInfo, type ModelInfo } from '../shared/inference'
import { fileLogMel } from './services/inference/audioFeatures'
import { encodeNpyFloat32 } from './services/inference/npy'
import { PROVIDER_LABEL } from './services/inference/session'
import { closest } from '../shared/closest'
import packageJson from '../../package.json'

const USAGE = `avs ${packageJson.version} — AVS Annotator command line

Usage:
  avs new <dir> --task s4|ms3|avss [--name <name>]   create a project
  avs import <project> <video>... [--offset <s>] [--progress]   cut videos into clips
  avs info <project> [--json]                          videos, clips (ids, status, category, split, confidence), frames
  avs segment <project> [--clips 1,2,…] [--model <id>] [--provider auto|cpu|webgpu|cuda|dml|coreml] [--replace-edits] [--progress]
                                                       auto-segment clips (all by default) with an ONNX model
             [--class <avss-class>]                    AVSS with a binary model: the class of the masks of clips with
                                                       none of their own (a category naming an AVSS class, or the one
                                                       sounding class of an imported AVSBench clip, wins)
  avs segment <project> --resume last|<job-id>         continue an interrupted or cancelled segmentation job
  avs set <project> [--clips 1,2,…] [--category <name>|none] [--split train|val|test|none] [--status accepted|rejected|unreviewed]
                                                       label clips and review their frames (all clips by default)
  avs models [--json] [--retime]                       the models the app can use, and why others were refused;
                                                       --retime forgets this computer's clip times (the next default choice times again)
  avs features <audio-or-video> --out <x.npy>          the model's audio input: log-mel [N,1,96,64] float32, no padding
  avs serve [<project>] [--task s4|ms3|avss] [--port <n>] [--host <h>] [--allow-network]
                                                       browser mode: prints a login URL; opens <project>,
                                                       or creates it (S4 unless --task) if new or empty;
                                                       --allow-network to serve beyond loopback (plain HTTP; prefer an SSH tunnel)
${AVSBENCH_USAGE}
  avs masks <project> --out <dir> [--source model|current] [--clips 1,2,…] [--overwrite] [--json]
                                                       masks as --save_pred_mask PNGs at frame size + index.json
  avs --version | --help

Exit code 0 on success; otherwise non-zero with a one-line reason on stderr.`

class UsageError extends Error {}

const usage = (message: string): never => {
  throw new UsageError(message)
}

interface Parsed {
  positional: string[]
  flags: Map<string, string | true>
}

/** Flags that take no value; every other flag takes the next word (or `--flag=value`). */
const BOOLEAN_FLAGS = new Set(['json', 'help', 'version', 'h', 'v', 'progress', 'overwrite', 'allow-network', 'replace-edits', 'retime'])
const GLOBAL_FLAGS = ['help', 'h', 'version', 'v']

/** Each command's options and how many positional arguments it takes (Infinity: a list). */
const COMMANDS: Record<string, { flags: string[]; positional: number }> = {
  new: { flags: ['task', 'name'], positional: 1 },
  import: { flags: ['offset', 'progress'], positional: Infinity },
  info: { flags: ['json'], positional: 1 },
  segment: { flags: ['clips', 'model', 'provider', 'replace-edits', 'progress', 'resume', 'class'], positional: 1 },
  set: { flags: ['clips', 'category', 'split', 'status'], positional: 1 },
  models: { flags: ['json', 'retime'], positional: 0 },
  features: { flags: ['out'], positional: 1 },
  serve: { flags: ['task', 'port', 'host', 'allow-network'], positional: 1 },
  export: { flags: ['format', 'out', 'frames', 'split-ratio', 'seed', 'overwrite', 'json'], positional: 1 },
  'import-avsbench': { flags: ['format', 'name', 'json'], positional: 2 },
  'import-predictions': { flags: ['model'], positional: 2 },
  eval: { flags: ['format', 'gt', 'pred', 'split', 'batch', 'json'], positional: 0 },
  masks: { flags: ['out', 'source', 'clips', 'overwrite', 'json'], positional: 1 }
}

const KNOWN_FLAGS = new Set([...GLOBAL_FLAGS, ...Object.values(COMMANDS).flatMap((c) => c.flags)])

function parseArgs(argv: string[]): Parsed {
  const positional: string[] = []
  const flags = new Map<string, string | true>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') {
      positional.push(...argv.slice(i + 1))
      break
    }
    if (a.startsWith('--') || (a.startsWith('-') && a.length === 2)) {
      const [k, v] = a.replace(/^--?/, '').split(/=(.*)/s, 2)
      if (!KNOWN_FLAGS.has(k)) flags.set(k, v ?? true) // refused by checkArgs, naming the option meant; takes no word
      else if (BOOLEAN_FLAGS.has(k)) {
        if (v !== undefined) throw new UsageError(`--${k} takes no value`)
        flags.set(k, true)
      } else if (v !== undefined) flags.set(k, v)
      else {
        const next = argv[i + 1]
        // A value never starts with "--": `--clips --json` lacks the value, it does not mean clips "--json".
        if (next === undefined || next.startsWith('--')) throw new UsageError(`--${k} needs a value`)
        flags.set(k, next)
        i++
      }
    } else positional.push(a)
  }
  return { positional, flags }
}

/** Refuses options the command does not have (a typo must not run with the defaults) and extra arguments. */
function checkArgs(command: string, p: Parsed): void {
  const spec = COMMANDS[command]
  if (!spec) return
  for (const k of p.flags.keys()) {
    if (spec.flags.includes(k) || GLOBAL_FLAGS.includes(k)) continue
    const near = closest(k, spec.flags)
    throw new UsageError(`unknown option --${k} for avs ${command}${near ? ` (did you mean --${near}?)` : ''}`)
  }
  if (p.positional.length > spec.positional) {
    throw new UsageError(`unexpected argument "${p.positional[spec.positional]}" for avs ${command}`)
  }
}

/** The usage lines of one command (its entries in USAGE), or the whole text. */
function usageOf(command: string | undefined): string {
  if (!command || !COMMANDS[command]) return USAGE
  const entries: string[][] = []
  for (const line of USAGE.split('\n')) {
    if (/^ {2}avs /.test(line)) entries.push([line])
    else if (/^ {4,}\S/.test(line) && entries.length) entries[entries.length - 1]!.push(line)
    else entries.push([])
  }
  const mine = entries.filter((e) => e[0]?.startsWith(`  avs ${command} `) || e[0] === `  avs ${command}`)
  return `Usage:\n${mine.map((e) => e.join('\n')).join('\n')}\n\nAll commands: avs --help`
}

const str = (p: Parsed, k: string): string | undefined => {
  const v = p.flags.get(k)
  return typeof v === 'string' ? v : undefined
}

async function openProject(app: App, dir: string | undefined): Promise<void> {
  if (!dir) throw new UsageError('missing <project> folder')
  await app.dispatch('project.open', { dir })
}

async function cmdImport(app: App, p: Parsed): Promise<number> {
  const [dir, ...videos] = p.positional
  await openProject(app, dir)
  if (videos.length === 0) throw new UsageError('missing <video> to import')
  const offset = str(p, 'offset')
  const startOffset = offset === undefined ? 0 : Number(offset)
  if (!Number.isFinite(startOffset) || startOffset < 0) throw new UsageError(`--offset must be a number of seconds ≥ 0, got ${offset}`)
  // Progress goes to stderr on a terminal (or with --progress), so scripts see only results and reasons.
  const tty = process.stderr.isTTY
  const showProgress = tty || p.flags.has('progress')
  let lastLine = ''
  app.events.subscribe((event, payload) => {
    if (event !== 'import.progress' || !showProgress) return
    const e = payload as ImportProgress
    const line = `${e.path}: ${e.stage} ${Math.round(e.fraction * 100)}%`
    if (line === lastLine) return
    lastLine = line
    if (tty) process.stderr.write(`\r\x1b[K${line}`)
    else if (e.stage !== 'decoding' || e.fraction === 0) process.stderr.write(`${line}\n`)
  })
  const { jobId } = (await app.dispatch('media.import', { paths: videos, startOffset })) as { jobId: string }
  process.once('SIGINT', () => app.imports.cancel(jobId))
  const results = await app.imports.wait(jobId)
  if (tty) process.stderr.write('\r\x1b[K')
  let failed = 0
  for (const r of results) {
    if (r.ok) {
      process.stdout.write(`${r.path}: ${r.clips} clip(s)${r.flags.length ? ` [${r.flags.join(', ')}]` : ''}\n`)
      // Imported in part (a truncated file): exit 0, the clips are in the project, but say what is missing.
      if (r.warning) process.stderr.write(`avs import: warning: ${r.warning}\n`)
    } else {
      failed++
      process.stderr.write(`avs import: ${r.error}\n`)
    }
  }
  return failed ? 1 : 0
}

async function cmdInfo(app: App, p: Parsed): Promise<number> {
  await openProject(app, p.positional[0])
  const project = await app.dispatch('project.current', {})
  const videos = app.projects.require().store.listVideos()
  const clips = app.projects.require().store.listClips().map((c) => app.projects.require().store.getClip(c.id))
  if (p.flags.has('json')) {
    process.stdout.write(`${JSON.stringify({ project, videos, clips }, null, 2)}\n`)
  } else {
    const s = project as { name: string; task: string; dir: string }
    process.stdout.write(`${s.name} (${s.task.toUpperCase()}) at ${s.dir}\n${videos.length} video(s), ${clips.length} clip(s)\n`)
    // What an import said of a file (truncated part way: which clips were kept) stays visible here.
    for (const v of videos) if (v.importNote) process.stdout.write(`  ! ${v.importNote}\n`)
    // The id first: --clips takes ids.
    const width = String(Math.max(0, ...clips.map((c) => c?.id ?? 0))).length
    for (const c of clips) {
      if (!c) continue
      const labels = [c.category, c.split].filter(Boolean).join(', ')
      const conf = c.confidence === null ? '' : `  confidence ${c.confidence.toFixed(2)}`
      process.stdout.write(
        `  ${String(c.id).padStart(width)}  ${c.name}  ${c.start.toFixed(2)}s +${c.duration}s  ${c.status}${labels ? `  (${labels})` : ''}${conf}${c.flags.length ? `  [${c.flags.join(', ')}]` : ''}\n`
      )
    }
  }
  return 0
}

const SET_STATUSES = ['accepted', 'rejected', 'unreviewed'] as const

/** Category, split and review status of clips from the command line, as the app's clip table and review keys set them. */
async function cmdSet(app: App, p: Parsed): Promise<number> {
  await openProject(app, p.positional[0])
  const category = str(p, 'category')
  const split = str(p, 'split')?.toLowerCase()
  const status = str(p, 'status')?.toLowerCase()
  if (category === undefined && split === undefined && status === undefined) throw new UsageError('nothing to set: give --category, --split and/or --status')
  if (category !== undefined && category !== 'none' && !isSafeName(category)) {
    throw new UsageError(`--category must be a folder-safe name (letters, digits, _ . - and spaces), such as dog_barking, got "${category}"`)
  }
  if (split !== undefined && split !== 'none' && !Split.safeParse(split).success) throw new UsageError(`--split must be train, val, test or none, got "${split}"`)
  if (status !== undefined && !(SET_STATUSES as readonly string[]).includes(status)) throw new UsageError(`--status must be ${SET_STATUSES.join(', ')}, got "${status}"`)
  const { store } = app.projects.require()
  const all = store.listClips()
  const wanted = clipIdsArg(str(p, 'clips'), usage)
  const ids = wanted ?? all.map((c) => c.id)
  if (wanted) {
    const unknown = ids.filter((id) => !all.some((c) => c.id === id))
    if (unknown.length) throw new ApiError('not_found', `No clip${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} in this project (avs info lists the ids)`)
  }
  if (ids.length === 0) throw new ApiError('no_clips', 'The project has no clips; import a video first')
  const done: string[] = []
  if (category !== undefined || split !== undefined) {
    for (const clipId of ids) {
      await app.dispatch('clip.update', {
        clipId,
        ...(category !== undefined ? { category: category === 'none' ? null : category } : {}),
        ...(split !== undefined ? { split: split === 'none' ? null : (split as Split) } : {})
      })
    }
    if (category !== undefined) done.push(category === 'none' ? 'category cleared' : `category ${category}`)
    if (split !== undefined) done.push(split === 'none' ? 'split cleared (the export draws it by ratio)' : `split ${split}`)
  }
  let note = ''
  if (status !== undefined) {
    const frames = ids.flatMap((id) => store.listFrames(id))
    await app.dispatch('frame.setStatus', { frameIds: frames.map((f) => f.id), status: status as ReviewStatus })
    done.push(`${frames.length} frame(s) ${status}`)
    const bare = frames.filter((f) => !store.latestMask(f.id)).length
    if (status === 'accepted' && bare) note = `; ${bare} of them have no mask yet (avs segment, or draw one in the app): an export skips them until they have one`
  }
  process.stdout.write(`${ids.length} clip(s): ${done.join(', ')}${note}\n`)
  return 0
}

/**
 * serve's project: 'open' for a project folder; a missing path or an empty folder becomes a new
 * project of the returned task (--task, S4 by default); anything else is refused before anything is written.
 */
async function serveProjectPlan(dirIn: string, taskFlag: string | undefined): Promise<'open' | TaskType> {
  const task = TaskType.safeParse((taskFlag ?? 's4').toLowerCase())
  if (!task.success) throw new UsageError('--task must be s4, ms3 or avss')
  const dir = resolve(dirIn)
  if (existsSync(join(dir, DB_FILE))) return 'open'
  if (existsSync(dir)) {
    if (!(await stat(dir)).isDirectory()) throw new ApiError('not_a_folder', `${dir} is a file, not a project folder`)
    if ((await readdir(dir)).some((e) => !e.startsWith('.')))
      throw new ApiError('not_a_project', `${dir} is not an AVS Annotator project (no ${DB_FILE}) and is not empty; give a project folder, a new path or an empty folder`)
  }
  return task.data
}

async function cmdServe(app: App, p: Parsed): Promise<number> {
  const dir = p.positional[0]
  const taskFlag = str(p, 'task')
  if (!dir && taskFlag !== undefined) throw new UsageError('--task needs a <project> path to create')
  const plan = dir ? await serveProjectPlan(dir, taskFlag) : undefined
  const port = str(p, 'port')
  // Built: out/main/cli.js → out/renderer. From source (tests, tsx): src/main → out/renderer.
  const rendererDir = /[\\/]src[\\/]main$/.test(__dirname) ? resolve(__dirname, '../../out/renderer') : resolve(__dirname, '../renderer')
  if (!existsSync(join(rendererDir, 'index.html'))) throw new ApiError('not_built', `The UI is not built (${rendererDir}): run \`npm run build\` first`)
  // Bind first: a refused --host or a busy port must not leave a new project behind.
  const host = await startWebHost({ app, rendererDir, port: port ? Number(port) : 0, host: str(p, 'host'), allowNetwork: p.flags.has('allow-network') })
  try {
    if (dir && plan === 'open') {
      const s = await app.projects.openProject(dir)
      if (taskFlag !== undefined && taskFlag !== s.task) throw new ApiError('task_mismatch', `${s.dir} is an existing ${s.task.toUpperCase()} project; --task ${taskFlag} only applies to a new one`)
    } else if (dir && plan !== undefined && plan !== 'open') {
      const s = await app.projects.create(dir, plan)
      process.stdout.write(`Created ${s.task.toUpperCase()} project "${s.name}" at ${s.dir}\n`)
    }
  } catch (err) {
    await host.close()
    throw err
  }
  if (host.warning) process.stderr.write(`avs serve: WARNING: ${host.warning}\n`)
  // The server log says once per job why a GPU provider fell back to the CPU (the UI shows it on the job).
  const fellBack = new Set<string>()
  app.events.subscribe((event, payload) => {
    const j = payload as JobInfo
    if (event !== 'job.progress' || !j.fallbackReason || fellBack.has(j.id)) return
    fellBack.add(j.id)
    process.stderr.write(`avs serve: job ${j.id} (${j.model}): ${j.fallbackReason}\n`)
  })
  // Handlers first, then the URL: whoever reads the URL may signal us at once.
  const stopped = new Promise<void>((done) => {
    const stop = (): void => {
      void host.close().then(done)
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  process.stdout.write(`AVS Annotator is serving at ${host.url}\nOpen this one-time login URL in a browser:\n${host.loginUrl}\n`)
  await stopped
  return 0
}

const avsbenchArgs = (p: Parsed): CliArgs => ({
  positional: p.positional,
  flag: (k) => str(p, k),
  has: (k) => p.flags.has(k),
  usage
})

// --- Auto-segmentation and features (inference helper) ---
const secs = (ms: number): string => (ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`)

async function cmdSegment(app: App, p: Parsed): Promise<number> {
  await openProject(app, p.positional[0])
  const clipIds = clipIdsArg(str(p, 'clips'), usage)
  const providerFlag = str(p, 'provider')
  const provider = providerFlag === undefined ? undefined : ProviderChoice.safeParse(providerFlag.toLowerCase())
  if (provider && !provider.success) throw new UsageError(`--provider must be one of ${ProviderChoice.options.join(', ')}, got "${providerFlag}"`)
  const tty = process.stderr.isTTY
  const showProgress = tty || p.flags.has('progress')
  let reported = false
  let lastDone = -1
  app.events.subscribe((event, payload) => {
    if (event !== 'job.progress') return
    const j = payload as JobInfo
    // The fallback reason is said once, whether or not progress is shown.
    if (j.fallbackReason && !reported) {
      reported = true
      process.stderr.write(`${tty ? '\r\x1b[K' : ''}avs segment: ${j.fallbackReason}\n`)
    }
    if (!showProgress || j.status !== 'running') return
    const where = j.provider ? ` · ${PROVIDER_LABEL[j.provider]}` : ''
    const line = `${j.model}${where}: ${j.done}/${j.total} clips, ${secs(j.elapsedMs)} elapsed${j.remainingMs !== null ? `, ~${secs(j.remainingMs)} left` : ''}`
    if (tty) process.stderr.write(`\r\x1b[K${line}`)
    else if (j.done !== lastDone) process.stderr.write(`${line}\n`)
    lastDone = j.done
  })
  const resume = str(p, 'resume')
  let jobId: string
  if (resume) {
    // A job continues as it was started: an option that would change it is refused, not ignored.
    const changes = ['clips', 'model', 'class', 'provider', 'replace-edits'].filter((k) => p.flags.has(k))
    if (changes.length) throw new UsageError(`--resume continues the job as it was started; ${changes.map((k) => `--${k}`).join(', ')} cannot change it (start a new job instead)`)
    // A job stopped by Ctrl-C or a crash continues from its first unfinished clip.
    const jobs = (await app.dispatch('job.list', {})) as JobInfo[]
    const target = resume === 'last' ? jobs.find((j) => j.status === 'interrupted' || j.status === 'cancelled') : jobs.find((j) => j.id === resume)
    if (!target) throw new ApiError('unknown_job', resume === 'last' ? 'no interrupted or cancelled job to resume in this project' : `no job ${resume} in this project`)
    jobId = ((await app.dispatch('job.resume', { jobId: target.id })) as { jobId: string }).jobId
  } else {
    let modelId = str(p, 'model')
    if (modelId === undefined) {
      // The default model for this project and computer; the first time, a model that is the default
      // only where it runs fast enough is timed on one clip (a few seconds), and the line says so.
      app.speed.onMeasure = (m, choice) => process.stderr.write(`avs segment: timing ${m.id} on one clip (${choice === 'auto' ? 'provider auto' : PROVIDER_LABEL[choice]}), once for this computer, to choose the default model…\n`)
      const d = (await app.dispatch('model.default', { provider: provider?.data })) as { modelId: string; reason: string | null }
      if (d.reason) process.stderr.write(`avs segment: model ${d.modelId}: ${d.reason}\n`)
      modelId = d.modelId
    }
    jobId = ((await app.dispatch('segment.start', {
      clipIds, modelId, provider: provider?.data, replaceEdits: p.flags.has('replace-edits'), className: str(p, 'class')
    })) as { jobId: string }).jobId
  }
  process.once('SIGINT', () => app.segments.cancel(jobId))
  const job = await app.segments.wait(jobId)
  await app.segments.close()
  if (tty && showProgress) process.stderr.write('\r\x1b[K')
  const on = job.provider ? PROVIDER_LABEL[job.provider] : 'no provider'
  const kept = job.skippedFrames ? `; ${job.skippedFrames} edited or reviewed frame(s) kept (use --replace-edits to overwrite)` : ''
  const as = job.className ? ` as ${job.className}` : ''
  process.stdout.write(`${job.done - job.failedClips}/${job.total} clip(s) segmented with ${job.model}${as} · ${on} in ${secs(job.elapsedMs)}${kept}\n`)
  if (job.status === 'done') return 0
  process.stderr.write(`avs segment: job ${job.status}${job.error ? `: ${job.error}` : ''}\n`)
  if (job.status === 'cancelled' || job.status === 'interrupted') process.stderr.write(`resume with: avs segment ${p.positional[0]} --resume ${job.id}\n`)
  return 1
}

async function cmdModels(app: App, p: Parsed): Promise<number> {
  if (p.flags.has('retime')) {
    const { dropped } = (await app.dispatch('model.retime', {})) as { dropped: number }
    process.stderr.write(`avs models: forgot ${dropped} clip time${dropped === 1 ? '' : 's'} of this computer; the next job that needs the default model times it again\n`)
  }
  const models = (await app.dispatch('model.list', {})) as ModelInfo[]
  if (p.flags.has('json')) {
    process.stdout.write(`${JSON.stringify(models, null, 2)}\n`)
    return 0
  }
  if (!models.length) process.stdout.write('No models found.\n')
  for (const m of models) {
    const what = m.valid ? `${m.task}, ${m.clipFrames} frames, ${m.inputSize?.join('×')}` : `refused: ${m.reason}`
    const fast = m.defaultMaxClipSeconds !== null ? `, default where a clip runs in under ${m.defaultMaxClipSeconds} s${m.clipSeconds ? `: ${m.clipSeconds.seconds.toFixed(2)} s here on ${PROVIDER_LABEL[m.clipSeconds.provider]}` : ', not timed here yet'}` : ''
    process.stdout.write(`${m.valid ? ' ' : '!'} ${m.id} (${m.origin}${m.isDefault ? (fast || ', default') : ''})  ${what}\n`)
    if (m.summary) process.stdout.write(`    ${m.summary}\n`)
    const source = modelSourceText(m)
    process.stdout.write(`    licence: ${modelLicenseText(m)}${source ? `; ${source}` : ''}\n`)
  }
  return 0
}

async function cmdFeatures(app: App, p: Parsed): Promise<number> {
  const input = p.positional[0]
  if (!input) throw new UsageError('missing <audio-or-video>')
  const out = str(p, 'out')
  if (!out) throw new UsageError('--out <file.npy> is required')
  if (!existsSync(input)) throw new ApiError('not_found', `${input} does not exist`)
  if (!existsSync(dirname(resolve(out)))) throw new ApiError('not_found', `Cannot write ${out}: the folder ${dirname(resolve(out))} does not exist`)
  const { ffmpeg } = await app.tools()
  const ex = await fileLogMel(ffmpeg, resolve(input))
  await writeFile(out, encodeNpyFloat32(ex.data, [ex.count, 1, 96, 64]))
  process.stdout.write(`${out}: ${ex.count} example(s), float32 [${ex.count}, 1, 96, 64], from ${(ex.samples / 16000).toFixed(2)}s of 16 kHz mono audio\n`)
  return 0
}
// --- end auto-segmentation and features ---

/** Commands that only read a project: no writer lock, no migration, no house-keeping. */
const READ_ONLY_COMMANDS = new Set(['info', 'export', 'masks', 'eval', 'models', 'features'])

export async function main(argv: string[]): Promise<number> {
  const p = parseArgs(argv)
  const [command, ...rest] = p.positional
  if (p.flags.has('version') || p.flags.has('v')) {
    process.stdout.write(`${packageJson.version}\n`)
    return 0
  }
  if (!command) {
    // No command: the usage is the error's explanation, on stderr.
    process.stderr.write(`${USAGE}\n`)
    return p.flags.has('help') || p.flags.has('h') ? 0 : 2
  }
  if (p.flags.has('help') || p.flags.has('h') || command === 'help') {
    // `avs segment --help`: that command's usage; `avs help segment` too.
    process.stdout.write(`${usageOf(command === 'help' ? rest[0] : command)}\n`)
    return 0
  }
  if (!COMMANDS[command]) {
    const near = closest(command, Object.keys(COMMANDS))
    throw new UsageError(`unknown command "${command}"${near ? ` (did you mean avs ${near}?)` : ''}; avs --help lists them`)
  }
  const sub: Parsed = { positional: rest, flags: p.flags }
  checkArgs(command, sub)
  // Every writing command takes the project's writer lock; read-only ones open beside a writer and never clean up.
  const app = createApp({ mode: command === 'serve' ? 'browser' : 'cli', owner: `avs ${command}`, readOnly: READ_ONLY_COMMANDS.has(command) })
  try {
    switch (command) {
      case 'new': {
        const dir = rest[0]
        if (!dir) throw new UsageError('missing <dir>')
        const task = TaskType.safeParse(str(sub, 'task')?.toLowerCase())
        if (!task.success) throw new UsageError('--task must be s4, ms3 or avss')
        const s = await app.projects.create(dir, task.data, str(sub, 'name'))
        process.stdout.write(`Created ${s.task.toUpperCase()} project "${s.name}" at ${s.dir}\n`)
        return 0
      }
      case 'import':
        return await cmdImport(app, sub)
      case 'info':
        return await cmdInfo(app, sub)
      case 'segment':
        return await cmdSegment(app, sub)
      case 'set':
        return await cmdSet(app, sub)
      case 'models':
        return await cmdModels(app, sub)
      case 'features':
        return await cmdFeatures(app, sub)
      case 'serve':
        return await cmdServe(app, sub)
      // --- AVSBench (avsbench helper) ---
      case 'export':
        return await cmdExport(app, avsbenchArgs(sub))
      case 'import-avsbench':
        return await cmdImportAvsbench(app, avsbenchArgs(sub))
      case 'import-predictions':
        return await cmdImportPredictions(app, avsbenchArgs(sub))
      case 'eval':
        return await cmdEval(app, avsbenchArgs(sub))
      case 'masks': {
        // Like an export's: the target is checked first, and killed runs' temp folders beside it are swept.
        const out = str(sub, 'out')
        if (out) await checkProjectTarget(out, 'masks').then(() => sweepTempsBeside(out))
        return await cmdMasks(app, avsbenchArgs(sub))
      }
      default:
        throw new UsageError(`unknown command "${command}" (try avs --help)`)
    }
  } finally {
    app.projects.close()
    await app.swept // a short command does not exit before the start-up sweep of killed exports' temp folders ends
  }
}

/** The command a command line names (its first positional word), for the usage after an error. */
function usageCommand(argv: string[]): string | undefined {
  return argv.find((a) => !a.startsWith('-') && COMMANDS[a] !== undefined)
}

/** Runs the CLI and turns every failure into a one-line reason on stderr and an exit code. */
export async function run(argv: string[]): Promise<number> {
  // `avs info p | head -2`: a reader that stops early is not an error; the command still finishes its work.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e
    })
  }
  let code: number
  try {
    code = await main(argv)
  } catch (caught) {
    const err = diskFullError(caught, null, 'The command did not finish')
    const msg = err instanceof Error ? err.message : String(err)
    process.stderr.write(`avs: ${msg.split('\n')[0]}\n`)
    if (err instanceof UsageError) process.stderr.write(`\n${usageOf(usageCommand(argv))}\n`)
    code = err instanceof UsageError ? 2 : 1
  }
  // The caller exits with process.exit, which drops what a pipe has not taken yet (a large --json); flush first.
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((done) => s.write('', () => done()))))
  return code
}
