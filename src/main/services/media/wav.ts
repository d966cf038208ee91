/** A RIFF/WAVE file of 16-bit PCM. */
export function encodeWavPcm16(samples: Int16Array, sampleRate: number, channels = 1): Buffer {
  const dataBytes = samples.length * 2
  const buf = Buffer.alloc(44 + dataBytes)
  buf.write('RIFF', 0, 'ascii')
  buf.writeUInt32LE(36 + dataBytes, 4)
  buf.write('WAVE', 8, 'ascii')
  buf.write('fmt ', 12, 'ascii')
  buf.writeUInt32LE(16, 16)
  buf.writeUInt16LE(1, 20)
  buf.writeUInt16LE(channels, 22)
  buf.writeUInt32LE(sampleRate, 24)
  buf.writeUInt32LE(sampleRate * channels * 2, 28)
  buf.writeUInt16LE(channels * 2, 32)
  buf.writeUInt16LE(16, 34)
  buf.write('data', 36, 'ascii')
  buf.writeUInt32LE(dataBytes, 40)
  Buffer.from(samples.buffer, samples.byteOffset, dataBytes).copy(buf, 44)
  return buf
}

/** Reads a PCM16 WAV (any chunk order); returns the interleaved samples. */
export function decodeWavPcm16(buf: Buffer): { sampleRate: number; channels: number; samples: Int16Array } {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file')
  let pos = 12
  let sampleRate = 0
  let channels = 0
  let bits = 0
  while (pos + 8 <= buf.length) {
    const id = buf.toString('ascii', pos, pos + 4)
    const size = buf.readUInt32LE(pos + 4)
    const body = pos + 8
    if (id === 'fmt ') {
      const format = buf.readUInt16LE(body)
      channels = buf.readUInt16LE(body + 2)
      sampleRate = buf.readUInt32LE(body + 4)
      bits = buf.readUInt16LE(body + 14)
      if (format !== 1 && format !== 0xfffe) throw new Error(`unsupported WAV format ${format} (PCM expected)`)
    } else if (id === 'data') {
      if (bits !== 16) throw new Error(`unsupported WAV sample size ${bits} bits (16 expected)`)
      const n = Math.floor(Math.min(size, buf.length - body) / 2)
      const samples = new Int16Array(n)
      for (let i = 0; i < n; i++) samples[i] = buf.readInt16LE(body + 2 * i)
      return { sampleRate, channels, samples }
    }
    pos = body + size + (size & 1)
  }
  throw new Error('WAV file has no data chunk')
}
