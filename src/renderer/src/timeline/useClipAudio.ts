import { useCallback, useEffect, useRef, useState, type AudioHTMLAttributes, type RefObject } from 'react'

export type PlayMode = 'clip' | 'second'

export interface ClipAudio {
  ref: RefObject<HTMLAudioElement | null>
  /** What is playing, or null when paused. */
  playing: PlayMode | null
  /** Position in the clip's audio, seconds. */
  time: number
  error: string | null
  /** Play/pause the whole clip; resumes where a paused whole-clip playback stopped. */
  toggleClip(): void
  /** Plays seconds [second, second + 1) of the clip, the audio of frame `second`. */
  playSecond(second: number): void
  stop(): void
  /** Moves the playhead to `seconds` (keeps playing if it was). */
  seek(seconds: number): void
  /** Handlers for the <audio> element. */
  events: Pick<AudioHTMLAttributes<HTMLAudioElement>, 'onPause' | 'onEnded' | 'onError' | 'onPlaying' | 'onSeeked'>
}

/** Playback of one clip's WAV through an <audio> element the caller renders. */
export function useClipAudio(src: string): ClipAudio {
  const ref = useRef<HTMLAudioElement>(null)
  const [playing, setPlaying] = useState<PlayMode | null>(null)
  const [time, setTime] = useState(0)
  const [error, setError] = useState<string | null>(null)
  const endAt = useRef<number | null>(null)
  const resumable = useRef(false)

  useEffect(() => {
    setPlaying(null)
    setTime(0)
    setError(null)
    endAt.current = null
    resumable.current = false
  }, [src])

  // timeupdate fires only ~4 times a second: poll per animation frame to stop a second on time.
  useEffect(() => {
    if (!playing) return
    let raf = 0
    const tick = (): void => {
      const a = ref.current
      if (a) {
        if (endAt.current !== null && a.currentTime >= endAt.current) {
          a.pause()
          a.currentTime = endAt.current
        }
        setTime(a.currentTime)
      }
      raf = requestAnimationFrame(tick)
    }
    raf = requestAnimationFrame(tick)
    return () => cancelAnimationFrame(raf)
  }, [playing])

  const start = useCallback((mode: PlayMode, from: number | null, until: number | null) => {
    const a = ref.current
    if (!a) return
    setError(null)
    endAt.current = until
    if (from !== null) a.currentTime = from
    setPlaying(mode)
    a.play().catch((err: Error) => {
      // A newer play()/pause() interrupting this one is not an error worth showing.
      if (err.name !== 'AbortError') setError(`Cannot play the clip's audio: ${err.message}`)
      setPlaying(null)
    })
  }, [])

  const toggleClip = useCallback(() => {
    const a = ref.current
    if (!a) return
    if (playing === 'clip') {
      a.pause()
      resumable.current = true
      return
    }
    const resume = resumable.current && !a.ended && a.currentTime > 0
    resumable.current = false
    start('clip', resume ? null : 0, null)
  }, [playing, start])

  const playSecond = useCallback(
    (second: number) => {
      resumable.current = false
      start('second', second, second + 1)
    },
    [start]
  )

  const stop = useCallback(() => {
    ref.current?.pause()
    resumable.current = false
  }, [])

  const seek = useCallback((seconds: number) => {
    const a = ref.current
    if (!a) return
    endAt.current = null
    resumable.current = true
    a.currentTime = Math.max(0, seconds)
    setTime(a.currentTime)
  }, [])

  const events: ClipAudio['events'] = {
    onPause: () => {
      setPlaying(null)
      setTime(ref.current?.currentTime ?? 0)
    },
    onEnded: () => {
      setPlaying(null)
      resumable.current = false
    },
    onSeeked: () => setTime(ref.current?.currentTime ?? 0),
    onPlaying: () => setError(null),
    onError: () => {
      const e = ref.current?.error
      setError(`Cannot load the clip's audio${e?.message ? `: ${e.message}` : ''}`)
      setPlaying(null)
    }
  }

  return { ref, playing, time, error, toggleClip, playSecond, stop, seek, events }
}
