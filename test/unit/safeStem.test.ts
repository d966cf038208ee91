import { expect, test } from 'vitest'
import { safeStem } from '../../src/main/services/media/ImportService'

test('clip names: ASCII kept, accents folded, punctuation to "-", nothing left → "video"', () => {
  expect(safeStem('/x/clip 25fps ñ.mp4')).toBe('clip-25fps-n')
  expect(safeStem('Ölgemälde (1).mp4')).toBe('Olgemalde-1')
  expect(safeStem('a&b.mp4')).toBe('a-b')
  expect(safeStem('🎻 violin.mp4')).toBe('violin') // a symbol, not a letter: dropped without a tag
  expect(safeStem('ｆｕｌｌｗｉｄｔｈ.mp4')).toBe('fullwidth') // compatibility forms fold to ASCII
  expect(safeStem('---.mp4')).toBe('video')
})

test('names whose letters have no ASCII form keep a stable tag of the original instead of all becoming "video"', () => {
  const violin = safeStem('/a/小提琴.mp4')
  const cello = safeStem('/b/大提琴.mp4')
  expect(violin).toMatch(/^video-[0-9a-f]{8}$/)
  expect(cello).toMatch(/^video-[0-9a-f]{8}$/)
  expect(violin).not.toBe(cello)
  // Stable: the same name (in any Unicode normalisation, in any folder) gives the same stem.
  expect(safeStem('/elsewhere/小提琴.mov')).toBe(violin)
  expect(safeStem('собака.mkv')).toBe(safeStem('собака.mkv'.normalize('NFD')))
  expect(safeStem('собака.mkv')).toMatch(/^video-[0-9a-f]{8}$/)
  // Mixed: the ASCII part stays readable, the tag tells "狗 01" from "猫 01".
  expect(safeStem('狗 barking 01.mov')).toMatch(/^barking-01-[0-9a-f]{8}$/)
  expect(safeStem('狗 01.mp4')).not.toBe(safeStem('猫 01.mp4'))
  // Idempotent on its own output (browser-mode uploads store the file under its safe stem first).
  expect(safeStem(`${violin}.mp4`)).toBe(violin)
})
