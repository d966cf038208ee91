import { ApiError } from '../../../shared/api'
import { logMelExamples, padExamples } from '../../../shared/audio/logMel'
import { torchTensorPickle } from '../../export/torchPickle'
import { decodeWavPcm16 } from '../media/wav'

export const PKL_SHAPE = [5, 1, 96, 64]

/** The S4/MS3 `.pkl`: log-mel of the clip's real audio, padded to 5 examples by repeating the last (spec §4.2). */
export function clipLogMelPickle(wav: Buffer, audioSamples: number, file: string): Buffer {
  let pcm: Int16Array
  try {
    pcm = decodeWavPcm16(wav).samples
  } catch (err) {
    throw new ApiError('bad_audio', `${file}: ${(err as Error).message}`)
  }
  let ex = logMelExamples(pcm.subarray(0, Math.min(audioSamples, pcm.length)))
  // Under one 0.96 s example of real audio: use the padded clip (silence) rather than fail.
  if (ex.count === 0) ex = logMelExamples(pcm)
  if (ex.count === 0) throw new ApiError('bad_audio', `${file}: ${pcm.length} samples is too short for one log-mel example`)
  return torchTensorPickle(padExamples(ex, PKL_SHAPE[0], 'repeat-last').data, PKL_SHAPE)
}
