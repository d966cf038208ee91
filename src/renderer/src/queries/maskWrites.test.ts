import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'

const calls: { channel: string; input: Record<string, unknown> }[] = []
vi.mock('./api', () => ({
  call: vi.fn(async (channel: string, input: Record<string, unknown>) => {
    calls.push({ channel, input })
    await new Promise((r) => setTimeout(r, 5))
    return {}
  })
}))

const { WriteQueue } = await import('./maskWrites')

describe('WriteQueue', () => {
  beforeEach(() => {
    calls.length = 0
  })
  afterEach(() => vi.useRealTimers())

  test('debounces saves per frame and reads the live map when the save runs', async () => {
    const q = new WriteQueue(50)
    const map = { width: 2, height: 1, data: new Uint8Array([0, 0]) }
    q.scheduleMaskSave(7, () => map)
    q.scheduleMaskSave(7, () => map)
    map.data[1] = 1
    expect(q.busy()).toBe(true)
    await new Promise((r) => setTimeout(r, 80))
    await q.settle()
    expect(calls.map((c) => c.channel)).toEqual(['mask.save'])
    expect(calls[0].input).toMatchObject({ frameId: 7, width: 2, height: 1 })
    expect(q.busy()).toBe(false)
  })

  test('a status write after a stroke goes out after its save (flush keeps the order)', async () => {
    const q = new WriteQueue(10_000)
    const map = { width: 1, height: 1, data: new Uint8Array([1]) }
    q.scheduleMaskSave(3, () => map)
    q.flush([3])
    const status = q.enqueue(async () => {
      calls.push({ channel: 'frame.setStatus', input: {} })
    })
    await status
    await q.settle()
    expect(calls.map((c) => c.channel)).toEqual(['mask.save', 'frame.setStatus'])
  })

  test('a failed write is reported in the state and does not stop the queue', async () => {
    const q = new WriteQueue(0)
    const states: (string | null)[] = []
    q.subscribe((s) => states.push(s.error))
    await q.enqueue(async () => Promise.reject(new Error('class 2 does not exist'))).catch(() => undefined)
    await q.settle()
    expect(q.state().error).toBe('class 2 does not exist')
    await q.enqueue(async () => undefined)
    await q.settle()
    expect(q.state().error).toBeNull()
    expect(states).toContain('class 2 does not exist')
  })
})
