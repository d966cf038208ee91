import { describe, expect, test } from 'vitest'
import { basename, formatClock, parsePaths } from './format'
import { formatRoute, parseRoute } from './route'

describe('renderer helpers', () => {
  test('parsePaths: one path per line, blank lines and surrounding quotes dropped', () => {
    expect(parsePaths(' /a/b c.mp4 \n\n"/d/e f.mov"\r\n\'/g/h.webm\'\n')).toEqual(['/a/b c.mp4', '/d/e f.mov', '/g/h.webm'])
    expect(parsePaths('  \n ')).toEqual([])
  })

  test('formatClock and basename', () => {
    expect(formatClock(0.92)).toBe('0:00.920')
    expect(formatClock(65.5, 1)).toBe('1:05.5')
    expect(formatClock(3725.25, 2)).toBe('1:02:05.25')
    expect(basename('/x/y/tone vidéo.mp4')).toBe('tone vidéo.mp4')
    expect(basename('C:\\\\v\\\\a.mp4')).toBe('a.mp4')
  })

  test('the route in the hash round-trips', () => {
    expect(parseRoute('#/clip/12/3')).toEqual({ clipId: 12, frame: 3 })
    expect(parseRoute('#/clip/7')).toEqual({ clipId: 7, frame: 0 })
    expect(parseRoute('')).toEqual({ clipId: null, frame: 0 })
    expect(parseRoute('#/whatever')).toEqual({ clipId: null, frame: 0 })
    expect(formatRoute({ clipId: 12, frame: 3 })).toBe('#/clip/12/3')
    expect(formatRoute({ clipId: null, frame: 0 })).toBe('#/')
  })
})
