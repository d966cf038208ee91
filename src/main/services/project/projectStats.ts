import type { ProjectStats, ReviewStatus } from '../../../shared/domain'
import { decodeMask } from './maskCodec'
import type { ProjectStore } from './ProjectStore'

/** Jaccard of two label maps' foreground (any non-zero label); both empty counts as 1. */
export function foregroundJaccard(a: Uint8Array, b: Uint8Array): number {
  let inter = 0
  let union = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0
    const y = b[i] !== 0
    if (x && y) inter++
    if (x || y) union++
  }
  return union === 0 ? 1 : inter / union
}

/**
 * The project dashboard: clips and frames by status, share reviewed, and how much the model was
 * corrected: the model mask vs the ground truth on the frames Evaluate scores (both masks, same size).
 */
export function projectStats(store: ProjectStore): ProjectStats {
  const framesByStatus = store.statusCounts().frames as Record<ReviewStatus, number>
  const clipsByStatus: Record<ReviewStatus, number> = { unreviewed: 0, auto: 0, edited: 0, accepted: 0, rejected: 0 }
  for (const c of store.listClips()) clipsByStatus[c.status]++
  const total = Object.values(framesByStatus).reduce((a, b) => a + b, 0)
  let compared = 0
  let sum = 0
  for (const { model, truth } of store.modelAndTruthFrames()) {
    if (model.width !== truth.width || model.height !== truth.height) continue
    sum += foregroundJaccard(decodeMask(model.data, model.width, model.height), decodeMask(truth.data, truth.width, truth.height))
    compared++
  }
  return {
    clipsByStatus,
    framesByStatus,
    reviewedShare: total ? (framesByStatus.accepted + framesByStatus.rejected) / total : 0,
    comparedFrames: compared,
    meanModelJaccard: compared ? sum / compared : null
  }
}
