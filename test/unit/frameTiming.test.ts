import { describe, expect, test } from 'vitest'
import { frameOffsetInClip, planClips } from '../../src/shared/frameTiming'

describe('AVSBench frame timing (spec §5)', () => {
  test('25 fps → frames 23, 48, 73, 98, 123', () => {
    expect([0, 1, 2, 3, 4].map((l) => frameOffsetInClip(l, 25))).toEqual([23, 48, 73, 98, 123])
  })
  test('29.97 fps uses fi = round(fps) = 30', () => {
    expect([0, 1, 2, 3, 4].map((l) => frameOffsetInClip(l, 30000 / 1001))).toEqual([28, 58, 88, 118, 148])
  })
  test('clips are consecutive, the short tail is dropped', () => {
    const clips = planClips({ duration: 12, fps: 25, clipSeconds: 5 })
    expect(clips.map((c) => [c.start, c.firstFrame, c.padded])).toEqual([
      [0, 0, false],
      [5, 125, false]
    ])
    expect(clips[1].frames.map((f) => f.sourceFrame)).toEqual([148, 173, 198, 223, 248])
    expect(clips[1].frames[0].time).toBeCloseTo(5.92, 12)
  })
  test('a start offset moves the first frame to ceil(offset · fps)', () => {
    const clips = planClips({ duration: 20, fps: 30000 / 1001, clipSeconds: 10, startOffset: 1.5 })
    expect(clips).toHaveLength(1)
    expect(clips[0].firstFrame).toBe(Math.ceil(1.5 * (30000 / 1001)))
    expect(clips[0].frames).toHaveLength(10)
  })
  test('a video shorter than a clip gives one padded clip with frames clamped to the last frame', () => {
    const [clip] = planClips({ duration: 3, fps: 25, clipSeconds: 5 })
    expect(clip.padded).toBe(true)
    expect(clip.frames.map((f) => [f.sourceFrame, f.clamped])).toEqual([
      [23, false],
      [48, false],
      [73, false],
      [74, true],
      [74, true]
    ])
  })
  test('bad input is refused', () => {
    expect(() => planClips({ duration: 10, fps: 0, clipSeconds: 5 })).toThrow(/frame rate/)
    expect(() => planClips({ duration: 10, fps: 25, clipSeconds: 5, startOffset: 10 })).toThrow(/outside the video/)
    expect(() => planClips({ duration: 0, fps: 25, clipSeconds: 5 })).toThrow(/duration/)
  })
})
