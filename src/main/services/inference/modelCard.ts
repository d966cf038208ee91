import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { z } from 'zod'
import type { GraphInfo, GraphValue } from './onnxGraph'

/** The `.model.json` card beside every `.onnx` (spec ccformer §2). */
export const CARD_FORMAT = 'avs-onnx/1'
export const INPUT_FRAMES = 'frames'
export const INPUT_AUDIO = 'audio_log_mel'
export const OUTPUT_LOGITS = 'mask_logits'

const PosInt = z.number().int().positive()
const Shape = z.array(PosInt)
const Obj = z.record(z.string(), z.unknown())

export const ModelCard = z.looseObject({
  format: z.literal(CARD_FORMAT),
  name: z.string().min(1),
  version: z.string().min(1),
  task: z.enum(['binary', 'semantic']),
  clip_frames: PosInt,
  input_size: z.tuple([PosInt, PosInt]),
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  classes: z.array(z.string()).min(1).nullable(),
  architecture: Obj,
  training: Obj.nullable(),
  metrics: Obj.nullable(),
  params: z.number().int().nonnegative(),
  gmacs_per_clip: z.number().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
  /** Optional: maps the binary confidence (postprocess.binaryConfidence) to an estimate of J, fitted on validation clips. */
  confidence_calibration: z.object({ x: z.array(z.number()), y: z.array(z.number()) }).nullable().optional(),
  /** Optional: the model's licence (SPDX) and where its weights come from; listed in About. */
  license: z.string().optional(),
  source: Obj.optional(),
  /** Optional: one line for the model picker (what the model is for, its speed and measured quality); display only, so a non-string is ignored, not refused. */
  summary: z.unknown().optional(),
  /** Optional: the default model of new projects and of `avs segment` (the first valid default that fits). */
  default: z.boolean().optional(),
  /**
   * Optional, with `default`: the model is the default only on a computer where one clip runs in
   * under this many seconds (timed once, `SpeedProbe`); elsewhere the next default that fits is.
   * For a sharper, slower model that is worth its time where the machine (a GPU, a fast CPU) allows.
   */
  default_max_clip_seconds: z.number().positive().optional(),
  /** Optional: shapes the exporter saw, checked against the graph when present. */
  inputs: z.object({ [INPUT_FRAMES]: Shape, [INPUT_AUDIO]: Shape }).optional(),
  outputs: z.object({ [OUTPUT_LOGITS]: Shape }).optional()
})
export type ModelCard = z.infer<typeof ModelCard>

/** Fields the spec requires (their value may be null where the schema allows it). */
const REQUIRED = [
  'format', 'name', 'version', 'task', 'clip_frames', 'input_size', 'mean', 'std', 'classes',
  'architecture', 'training', 'metrics', 'params', 'gmacs_per_clip', 'sha256'
] as const

export class ModelCardError extends Error {}

/** Parses a card's JSON text; the error names the file and every missing or wrong field. */
export function parseCard(jsonText: string, file: string): ModelCard {
  let raw: unknown
  try {
    raw = JSON.parse(jsonText)
  } catch (err) {
    throw new ModelCardError(`${file} is not valid JSON (${(err as Error).message})`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelCardError(`${file} must hold a JSON object`)
  const missing = REQUIRED.filter((k) => !(k in raw))
  if (missing.length) throw new ModelCardError(`${file} is missing field${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`)
  const parsed = ModelCard.safeParse(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 4).map((i) => `"${i.path.join('.')}" ${i.message}`)
    throw new ModelCardError(`${file}: ${problems.join('; ')}`)
  }
  if (parsed.data.task === 'semantic' && !parsed.data.classes) throw new ModelCardError(`${file}: a semantic model needs "classes" (names in output order)`)
  return parsed.data
}

/** Number of output channels the card promises: 1 for binary, one per class for semantic. */
export const outputChannels = (card: ModelCard): number => (card.task === 'binary' ? 1 : (card.classes?.length ?? 0))

export function expectedInputs(card: ModelCard): Record<string, number[]> {
  const [h, w] = card.input_size
  const t = card.clip_frames
  return { [INPUT_FRAMES]: [t, 3, h, w], [INPUT_AUDIO]: [t, 1, 96, 64] }
}

const fmt = (s: ReadonlyArray<number | string>): string => `[${s.join(', ')}]`
const sameShape = (a: ReadonlyArray<number | string>, b: ReadonlyArray<number | string>): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/**
 * Checks the graph against its card and the contract: exactly the inputs `frames` and
 * `audio_log_mel` as float32 with the card's static shapes, and `mask_logits` [T, K, h, w].
 * Returns the mismatches in words (empty when the model is usable).
 */
export function graphMismatches(card: ModelCard, graph: Pick<GraphInfo, 'inputs' | 'outputs'>): string[] {
  const problems: string[] = []
  const want = expectedInputs(card)
  const names = graph.inputs.map((i) => i.name)
  for (const [name, shape] of Object.entries(want)) {
    const got = graph.inputs.find((i) => i.name === name)
    if (!got) {
      problems.push(`the graph has no input "${name}" (its inputs: ${names.join(', ') || 'none'})`)
      continue
    }
    if (got.elemType !== 1) problems.push(`input "${name}" is not float32 (ONNX type ${got.elemType})`)
    if (!sameShape(got.shape, shape)) problems.push(`input "${name}" is ${fmt(got.shape)} in the graph but the card implies ${fmt(shape)}`)
    const declared = card.inputs?.[name as keyof NonNullable<ModelCard['inputs']>]
    if (declared && !sameShape(declared, got.shape)) problems.push(`card "inputs.${name}" is ${fmt(declared)} but the graph's is ${fmt(got.shape)}`)
  }
  for (const extra of names.filter((n) => !(n in want))) problems.push(`the graph has an input "${extra}" the contract does not feed`)
  const out = graph.outputs.find((o) => o.name === OUTPUT_LOGITS)
  if (!out) problems.push(`the graph has no output "${OUTPUT_LOGITS}" (its outputs: ${graph.outputs.map((o) => o.name).join(', ') || 'none'})`)
  else problems.push(...outputMismatches(card, out))
  return problems
}

function outputMismatches(card: ModelCard, out: GraphValue): string[] {
  const s = out.shape
  if (s.length !== 4 || s.some((d) => typeof d !== 'number')) return [`output "${OUTPUT_LOGITS}" must be a static [T, K, h, w], the graph's is ${fmt(s)}`]
  const problems: string[] = []
  if (out.elemType !== 1) problems.push(`output "${OUTPUT_LOGITS}" is not float32 (ONNX type ${out.elemType})`)
  if (s[0] !== card.clip_frames) problems.push(`output "${OUTPUT_LOGITS}" has ${s[0]} frames but the card's clip_frames is ${card.clip_frames}`)
  const k = outputChannels(card)
  if (s[1] !== k) problems.push(`output "${OUTPUT_LOGITS}" has ${s[1]} channel(s) but a ${card.task} model with ${card.classes?.length ?? 0} class name(s) needs ${k}`)
  if (card.outputs && !sameShape(card.outputs[OUTPUT_LOGITS], s)) problems.push(`card "outputs.${OUTPUT_LOGITS}" is ${fmt(card.outputs[OUTPUT_LOGITS])} but the graph's is ${fmt(s)}`)
  return problems
}

/**
 * Refuses a model whose T does not fit the project's clip length, in words a user can act on. A clip
 * of a multiple of T frames runs in windows of T consecutive frames, each with its own seconds of
 * audio (a 5-frame model on a 10-s AVSS clip: frames 0–4, then 5–9), as the AVSBench code pairs
 * frame t with audio example t.
 */
export function clipLengthMismatch(card: ModelCard, projectFrames: number, task: string): string | null {
  if (card.clip_frames > 0 && projectFrames % card.clip_frames === 0) return null
  return `model "${card.name}" takes ${card.clip_frames} frames per clip but this ${task.toUpperCase()} project's clips have ${projectFrames} (not a multiple of ${card.clip_frames}); choose a model made for ${projectFrames}-frame clips`
}

/**
 * Whether the model's task fits the project: binary for S4/MS3; semantic for AVSS, or a binary model,
 * whose mask (what sounds) takes a class the user names (`SegmentRequest.className`, or the clip's category).
 */
export function taskMismatch(card: ModelCard, projectTask: string): string | null {
  if (projectTask === 'avss' || card.task === 'binary') return null
  return `model "${card.name}" is a ${card.task} model but ${projectTask.toUpperCase()} projects need a binary model`
}

/** Whether the model gives the project's own kind of mask (a semantic model for AVSS), so it comes before one that only fits. */
export const taskNative = (card: ModelCard, projectTask: string): boolean => card.task === (projectTask === 'avss' ? 'semantic' : 'binary')

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer)
  return h.digest('hex')
}
