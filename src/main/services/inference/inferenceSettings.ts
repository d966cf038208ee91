import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { InferenceSettings } from '../../../shared/inference'

const FILE = 'inference.json'
export const DEFAULT_INFERENCE_SETTINGS: InferenceSettings = { provider: 'auto', modelId: null, threads: null }

/** Provider, default model and threads, in `<home>/inference.json`; a damaged file reads as the defaults. */
export async function readInferenceSettings(home: string): Promise<InferenceSettings> {
  try {
    const raw = JSON.parse(await readFile(join(home, FILE), 'utf8')) as unknown
    const parsed = InferenceSettings.partial().safeParse(raw)
    return { ...DEFAULT_INFERENCE_SETTINGS, ...(parsed.success ? parsed.data : {}) }
  } catch {
    return { ...DEFAULT_INFERENCE_SETTINGS }
  }
}

export async function writeInferenceSettings(home: string, patch: Partial<InferenceSettings>): Promise<InferenceSettings> {
  const next = { ...(await readInferenceSettings(home)), ...patch }
  await mkdir(home, { recursive: true })
  // Temp file and rename: a crash never leaves half a file.
  const tmp = join(home, `${FILE}.tmp-${process.pid}`)
  await writeFile(tmp, JSON.stringify(next, null, 2))
  await rename(tmp, join(home, FILE))
  return next
}
