import { describe, expect, test } from 'vitest'
import { decodeMask, encodeMask } from './maskCodec'

describe('mask codec', () => {
  test('a label map survives deflate + base64 and back, and compresses', async () => {
    const data = new Uint8Array(640 * 480)
    data.fill(1, 1000, 90_000)
    data[5] = 70
    const wire = await encodeMask({ width: 640, height: 480, data })
    expect(wire.data.length).toBeLessThan(data.length / 50)
    const back = await decodeMask(wire)
    expect(back.width).toBe(640)
    expect(back.height).toBe(480)
    expect(back.data).toEqual(data)
  })

  test('a payload whose size does not match is refused', async () => {
    const wire = await encodeMask({ width: 4, height: 4, data: new Uint8Array(16) })
    await expect(decodeMask({ ...wire, width: 5 })).rejects.toThrow(/expected 5×4/)
  })
})
