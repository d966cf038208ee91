import { useQuery } from '@tanstack/react-query'
import { useEffect, useLayoutEffect, useRef, useState } from 'react'
import type { ClipDetail, SecondState } from '../../../shared/domain'
import { keys } from '../queries/keys'
import { analyseClipSound, COLORMAP, MEL_BANDS, type ClipSound } from './clipSound'

const WAVE_H = 40
const MEL_H = 64

function useClipSound(dir: string, clip: ClipDetail, url: string) {
  return useQuery({
    queryKey: keys.clipSound(dir, clip.id),
    queryFn: async () => {
      const res = await fetch(url, { credentials: 'same-origin' })
      if (!res.ok) throw new Error(`Cannot load the clip's audio (HTTP ${res.status})`)
      return analyseClipSound(await res.arrayBuffer(), clip.frameCount)
    },
    staleTime: Infinity
  })
}

function draw(canvas: HTMLCanvasElement, sound: ClipSound, seconds: number): void {
  const dpr = window.devicePixelRatio || 1
  const w = Math.max(1, Math.floor(canvas.clientWidth * dpr))
  const h = Math.floor((WAVE_H + MEL_H) * dpr)
  canvas.width = w
  canvas.height = h
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D
  ctx.fillStyle = '#0b0c0f'
  ctx.fillRect(0, 0, w, h)
  const total = seconds * sound.sampleRate
  // Waveform: min/max of the samples under each pixel column.
  const waveH = WAVE_H * dpr
  const mid = waveH / 2
  ctx.fillStyle = '#4f8cff'
  const s = sound.samples
  for (let x = 0; x < w; x++) {
    const a = Math.floor((x / w) * total)
    const b = Math.min(s.length, Math.floor(((x + 1) / w) * total))
    let lo = 0
    let hi = 0
    for (let i = a; i < b; i++) {
      if (s[i] < lo) lo = s[i]
      if (s[i] > hi) hi = s[i]
    }
    const y0 = mid - (hi / 32768) * mid
    const y1 = mid - (lo / 32768) * mid
    ctx.fillRect(x, y0, 1, Math.max(1, y1 - y0))
  }
  // Log-mel spectrogram: one column per 10 ms frame, low bands at the bottom, through the colour map.
  const { data, count, min, max } = sound.mel
  if (count > 0) {
    const img = new ImageData(count, MEL_BANDS)
    const span = max - min || 1
    for (let f = 0; f < count; f++) {
      for (let band = 0; band < MEL_BANDS; band++) {
        const v = Math.round(((data[f * MEL_BANDS + band] - min) / span) * 255)
        const o = ((MEL_BANDS - 1 - band) * count + f) * 4
        img.data[o] = COLORMAP[v * 3]
        img.data[o + 1] = COLORMAP[v * 3 + 1]
        img.data[o + 2] = COLORMAP[v * 3 + 2]
        img.data[o + 3] = 255
      }
    }
    const tmp = document.createElement('canvas')
    tmp.width = count
    tmp.height = MEL_BANDS
    ;(tmp.getContext('2d') as CanvasRenderingContext2D).putImageData(img, 0, 0)
    // Frames are 10 ms apart: the spectrogram covers count·0.01 s of the clip.
    const melSeconds = (count * 160 + 240) / sound.sampleRate
    ctx.imageSmoothingEnabled = true
    ctx.drawImage(tmp, 0, waveH, Math.min(w, (melSeconds / seconds) * w), MEL_H * dpr)
  }
  // Second boundaries.
  ctx.fillStyle = 'rgba(255,255,255,0.18)'
  for (let i = 1; i < seconds; i++) ctx.fillRect(Math.round((i / seconds) * w), 0, 1, h)
}

interface Props {
  clip: ClipDetail
  dir: string
  current: number
  audioUrl: string
  /** Audio position, seconds. */
  time: number
  playing: boolean
  onSeek: (seconds: number) => void
  secondState: (second: number) => SecondState | null
  onSecondState: (second: number, state: SecondState | null) => void
}

/**
 * The clip's sound under the frame: waveform, the model's log-mel spectrogram, a playhead,
 * per-second loudness and the per-second "silent" / "sounding, off-screen" marks.
 */
export function SoundTimeline({ clip, dir, current, audioUrl, time, playing, onSeek, secondState, onSecondState }: Props) {
  const sound = useClipSound(dir, clip, audioUrl)
  const canvas = useRef<HTMLCanvasElement>(null)
  const seconds = clip.frameCount
  const [width, setWidth] = useState(0)

  useLayoutEffect(() => {
    const el = canvas.current
    if (!el) return
    const ro = new ResizeObserver(() => setWidth(el.clientWidth))
    ro.observe(el)
    return () => ro.disconnect()
  }, [])

  useEffect(() => {
    if (canvas.current && sound.data && width > 0) draw(canvas.current, sound.data, seconds)
  }, [sound.data, seconds, width])

  const seek = (e: React.MouseEvent<HTMLDivElement>): void => {
    const r = e.currentTarget.getBoundingClientRect()
    onSeek(Math.max(0, Math.min(1, (e.clientX - r.left) / r.width)) * seconds)
  }

  return (
    <div className="sound-timeline" data-testid="sound-timeline" data-ready={sound.data ? 'true' : 'false'}>
      <div className="sound-canvas" onClick={seek} title="Click to move the playhead" data-testid="sound-canvas">
        <canvas ref={canvas} style={{ height: WAVE_H + MEL_H }} />
        <div className="current-second" style={{ left: `${(current / seconds) * 100}%`, width: `${100 / seconds}%` }} aria-hidden />
        {(playing || time > 0) && <div className="playhead" style={{ left: `${Math.min(1, time / seconds) * 100}%` }} data-testid="sound-playhead" aria-hidden />}
        {sound.isPending && <span className="sound-note muted">Analysing the sound…</span>}
        {sound.isError && (
          <span className="sound-note error-note" role="alert">
            {sound.error.message}
          </span>
        )}
      </div>
      <ol className="seconds" style={{ gridTemplateColumns: `repeat(${seconds}, 1fr)` }} data-testid="seconds">
        {Array.from({ length: seconds }, (_, s) => {
          const state = secondState(s)
          const db = sound.data?.secondsDb[s]
          return (
            <li key={s} className={s === current ? 'current' : undefined} data-testid="second" data-second={s} data-state={state ?? ''}>
              <span className="loudness" title="RMS level of this second" data-testid="second-db">
                {db === undefined ? '…' : db <= -96 ? '−∞ dB' : `${db.toFixed(0)} dB`}
              </span>
              <span className="second-marks">
                <button
                  type="button"
                  className={state === 'silent' ? 'mark on' : 'mark'}
                  aria-pressed={state === 'silent'}
                  onClick={() => onSecondState(s, state === 'silent' ? null : 'silent')}
                  title="Silent: nothing sounds, an empty mask is right"
                  data-testid="mark-silent"
                >
                  silent
                </button>
                <button
                  type="button"
                  className={state === 'offscreen' ? 'mark on' : 'mark'}
                  aria-pressed={state === 'offscreen'}
                  onClick={() => onSecondState(s, state === 'offscreen' ? null : 'offscreen')}
                  title="Sounding, but the source is off-screen"
                  data-testid="mark-offscreen"
                >
                  off-screen
                </button>
              </span>
            </li>
          )
        })}
      </ol>
    </div>
  )
}
