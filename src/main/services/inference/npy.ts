/** A NumPy .npy file (format 1.0) of little-endian float32 with the given shape. */
export function encodeNpyFloat32(data: Float32Array, shape: readonly number[]): Buffer {
  const count = shape.reduce((a, b) => a * b, 1)
  if (count !== data.length) throw new RangeError(`encodeNpyFloat32: shape [${shape.join(', ')}] holds ${count} values, got ${data.length}`)
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ')
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`
  // Magic (6) + version (2) + length (2) + header + '\n' is padded with spaces to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64
  header = header.padEnd(total - 10 - 1, ' ') + '\n'
  const out = Buffer.alloc(total + data.length * 4)
  out.write('\x93NUMPY', 0, 'latin1')
  out[6] = 1
  out[7] = 0
  out.writeUInt16LE(header.length, 8)
  out.write(header, 10, 'latin1')
  const body = new Float32Array(out.buffer, out.byteOffset + total, data.length)
  body.set(data)
  return out
}
