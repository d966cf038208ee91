import type { Clip, ClipFlag, ReviewStatus } from '../../shared/domain'

/** Seconds as m:ss.mmm (or h:mm:ss.mmm). */
export function formatClock(seconds: number, digits = 3): string {
  const s = Math.max(0, seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = (s % 60).toFixed(digits).padStart(digits ? 3 + digits : 2, '0')
  return h ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`
}

export const formatSeconds = (s: number): string => `${Number.isInteger(s) ? s : s.toFixed(2)} s`

export const basename = (p: string): string => p.split(/[\\/]/).filter(Boolean).pop() ?? p

export const FLAG_LABEL: Record<ClipFlag, { label: string; title: string }> = {
  no_audio: { label: 'no audio', title: 'The video has no audio stream: the clip’s audio is silence' },
  padded: { label: 'padded', title: 'The video ended inside this clip: missing frames and audio were padded' },
  vfr: { label: 'VFR', title: 'Variable frame rate: resampled to the average rate' },
  rotated: { label: 'rotated', title: 'Rotation metadata was applied to the frames' }
}

export const STATUS_LABEL: Record<ReviewStatus, string> = {
  unreviewed: 'unreviewed',
  auto: 'auto',
  edited: 'edited',
  accepted: 'accepted',
  rejected: 'rejected'
}

export const TASK_LABEL = { s4: 'S4', ms3: 'MS3', avss: 'AVSS' } as const

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

/** One path per line; quotes pasted from a file manager are dropped. */
export function parsePaths(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/^(['"])(.*)\1$/, '$2').trim())
    .filter(Boolean)
}

/** Clip order for review: lowest model confidence first; clips the model has not segmented go last. */
export function byConfidence(a: Pick<Clip, 'confidence'>, b: Pick<Clip, 'confidence'>): number {
  if (a.confidence === null || b.confidence === null) return (a.confidence === null ? 1 : 0) - (b.confidence === null ? 1 : 0)
  return a.confidence - b.confidence
}
