import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { ApiError } from '../../../shared/api'
import type { ModelInfo } from '../../../shared/inference'
import { graphMismatches, parseCard, sha256File, type ModelCard } from './modelCard'
import { readGraphInfo } from './onnxGraph'

export interface ModelEntry extends ModelInfo {
  card: ModelCard | null
}

const CARD_SUFFIX = '.model.json'

/** The shipped models folder: AVS_MODELS_DIR, else the app's resources, else `models/` of the nearest folder with a package.json above this code. */
export function shippedModelsDir(): string | null {
  if (process.env.AVS_MODELS_DIR) return existsSync(process.env.AVS_MODELS_DIR) ? process.env.AVS_MODELS_DIR : null
  const resources = (process as { resourcesPath?: string }).resourcesPath
  if (resources && existsSync(join(resources, 'models'))) return join(resources, 'models')
  // From source (src/main/services/inference) and built (out/main, out/main/chunks) alike.
  for (let d = __dirname, i = 0; i < 6; i++, d = dirname(d)) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'models'))) return join(d, 'models')
  }
  return null
}

/**
 * Every `.onnx` + `.model.json` pair of the shipped and the user models folders (cards marked
 * `default` first, then shipped before user, by name), each checked:
 * card fields, sha256, and the graph's inputs and outputs against the card. Invalid ones stay in
 * the list with the reason. Results are cached per file size and mtime.
 */
export class ModelRegistry {
  private readonly cache = new Map<string, { key: string; entry: ModelEntry }>()

  constructor(private readonly dirs: { shipped: string | null; user: string }) {}

  get userDir(): string {
    return this.dirs.user
  }

  async list(): Promise<ModelEntry[]> {
    const out: ModelEntry[] = []
    const seen = new Set<string>()
    for (const [origin, dir] of [['shipped', this.dirs.shipped], ['user', this.dirs.user]] as const) {
      if (!dir || !existsSync(dir)) continue
      const names = (await readdir(dir)).sort()
      const stems = new Set<string>()
      for (const n of names) {
        if (n.endsWith('.onnx')) stems.add(n.slice(0, -5))
        else if (n.endsWith(CARD_SUFFIX)) stems.add(n.slice(0, -CARD_SUFFIX.length))
      }
      for (const stem of [...stems].sort()) {
        const id = seen.has(stem) ? `${origin}/${stem}` : stem
        seen.add(id)
        out.push(await this.check(id, origin, join(dir, `${stem}.onnx`), join(dir, `${stem}${CARD_SUFFIX}`)))
      }
    }
    // Cards marked `default` come first, those that are the default only on a fast enough computer
    // before the others: `SegmentService.defaultModel` takes the first that fits (and is fast enough here).
    const rank = (m: ModelEntry): number => (m.isDefault ? (m.defaultMaxClipSeconds !== null ? 0 : 1) : 2)
    return out.map((m, i) => ({ m, i })).sort((a, b) => rank(a.m) - rank(b.m) || a.i - b.i).map(({ m }) => m)
  }

  /**
   * Adds a model chosen by the user: the `.onnx` and the card beside it are validated where they
   * are, then copied into the user models folder (through temp names, so a failed copy leaves no
   * half model). Refuses an invalid model with its reason and never replaces an existing one.
   */
  async add(onnxIn: string): Promise<ModelEntry> {
    const onnxPath = resolve(onnxIn)
    if (!onnxPath.endsWith('.onnx')) throw new ApiError('not_a_model', `${onnxPath} is not an .onnx file`)
    const stem = basename(onnxPath, '.onnx')
    const cardPath = onnxPath.slice(0, -5) + CARD_SUFFIX
    if (!existsSync(onnxPath)) throw new ApiError('not_found', `${onnxPath} does not exist`)
    const checked = await this.check(stem, 'user', onnxPath, cardPath)
    if (!checked.valid) throw new ApiError('invalid_model', `Model ${stem} was not added: ${checked.reason}`)
    const dest = (ext: string): string => join(this.dirs.user, `${stem}${ext}`)
    if (existsSync(dest('.onnx')) || existsSync(dest(CARD_SUFFIX))) throw new ApiError('model_exists', `The user models folder already has a model ${stem}; rename the file or remove the old one`)
    await mkdir(this.dirs.user, { recursive: true })
    const tmp = (ext: string): string => join(this.dirs.user, `.${stem}${ext}.tmp-${process.pid}`)
    try {
      await copyFile(onnxPath, tmp('.onnx'))
      await copyFile(cardPath, tmp(CARD_SUFFIX))
      await rename(tmp(CARD_SUFFIX), dest(CARD_SUFFIX))
      await rename(tmp('.onnx'), dest('.onnx'))
    } finally {
      await rm(tmp('.onnx'), { force: true })
      await rm(tmp(CARD_SUFFIX), { force: true })
    }
    const added = (await this.list()).find((m) => m.onnxPath === dest('.onnx'))
    if (!added?.valid) throw new ApiError('invalid_model', `Model ${stem} was copied but does not validate: ${added?.reason ?? 'not listed'}`)
    return added
  }

  async get(id: string): Promise<ModelEntry | null> {
    return (await this.list()).find((m) => m.id === id) ?? null
  }

  private async check(id: string, origin: 'shipped' | 'user', onnxPath: string, cardPath: string): Promise<ModelEntry> {
    const base: ModelEntry = {
      id, origin, onnxPath, valid: false, reason: null, name: null, version: null, task: null, clipFrames: null, inputSize: null, classes: null, metrics: null, license: null, licenseNote: null, summary: null, source: null, isDefault: false, defaultMaxClipSeconds: null, clipSeconds: null, sizeBytes: 0, card: null
    }
    const [os, cs] = await Promise.all([stat(onnxPath).catch(() => null), stat(cardPath).catch(() => null)])
    if (!os) return { ...base, reason: `${id}.onnx is missing beside its card` }
    if (!cs) return { ...base, sizeBytes: os.size, reason: `no model card ${id}${CARD_SUFFIX} beside ${id}.onnx` }
    const key = `${os.size}:${os.mtimeMs}:${cs.size}:${cs.mtimeMs}`
    const hit = this.cache.get(onnxPath)
    if (hit?.key === key) return { ...hit.entry, id }
    const entry = await this.validate({ ...base, sizeBytes: os.size }, onnxPath, cardPath)
    this.cache.set(onnxPath, { key, entry })
    return entry
  }

  private async validate(base: ModelEntry, onnxPath: string, cardPath: string): Promise<ModelEntry> {
    let card: ModelCard
    try {
      card = parseCard(await readFile(cardPath, 'utf8'), `${base.id}${CARD_SUFFIX}`)
    } catch (err) {
      return { ...base, reason: (err as Error).message }
    }
    const described: ModelEntry = {
      ...base, card, name: card.name, version: card.version, task: card.task, clipFrames: card.clip_frames, inputSize: [card.input_size[0], card.input_size[1]], classes: card.classes, metrics: card.metrics,
      license: typeof card.license === 'string' ? card.license : null, licenseNote: typeof card.license_note === 'string' ? card.license_note : null,
      summary: typeof card.summary === 'string' ? card.summary : null,
      source: isRecord(card.source) ? card.source : null, isDefault: card.default === true,
      defaultMaxClipSeconds: card.default === true && card.default_max_clip_seconds !== undefined ? card.default_max_clip_seconds : null
    }
    const file = `${base.id}.onnx`
    let graph
    try {
      graph = readGraphInfo(await readFile(onnxPath))
    } catch (err) {
      return { ...described, reason: `${file} is not a readable ONNX model: ${(err as Error).message}` }
    }
    const problems = graphMismatches(card, graph)
    if (problems.length) return { ...described, reason: `${file} does not match its card: ${problems.join('; ')}` }
    const sha = await sha256File(onnxPath)
    if (sha !== card.sha256) return { ...described, reason: `${file} does not match its card's sha256 (file ${sha.slice(0, 12)}…, card ${card.sha256.slice(0, 12)}…): the file was changed or is incomplete` }
    return { ...described, valid: true, reason: null }
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Without the card, for the API. */
export const toModelInfo = ({ card: _card, ...info }: ModelEntry): ModelInfo => info
