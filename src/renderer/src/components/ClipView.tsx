import { useMemo } from 'react'
import type { Clip, ClipDetail, ProjectSummary } from '../../../shared/domain'
import { getApi } from '../apiClient'
import { FrameStage } from '../canvas/FrameStage'
import { formatClock, formatSeconds } from '../format'
import { useClip, usePrefetchClips } from '../queries/api'
import { useShortcuts } from '../shortcuts'
import { Filmstrip } from '../timeline/Filmstrip'
import { useClipAudio } from '../timeline/useClipAudio'
import { FlagBadges, StatusBadge } from './Badges'
import { ErrorNote } from './ErrorNote'

interface Props {
  project: ProjectSummary
  clipId: number
  frame: number
  /** All clips of the project, for previous/next clip. */
  clips: Clip[]
  onFrame: (index: number) => void
  onClip: (clipId: number) => void
  onBack: () => void
}

export function ClipView(props: Props) {
  const clip = useClip(props.project.dir, props.clipId)
  if (clip.isPending) return <main className="clip-view loading">Loading clip…</main>
  if (clip.isError)
    return (
      <main className="clip-view loading">
        <ErrorNote error={clip.error} testId="clip-error" />
        <button type="button" onClick={props.onBack} data-testid="clip-back">
          Back to clips
        </button>
      </main>
    )
  return <LoadedClipView {...props} clip={clip.data} />
}

const HELP = '←/→ frame · Home/End · Space play clip · S play this second · [ / ] clip · Esc back'

function LoadedClipView({ project, clip, clips, frame, onFrame, onClip, onBack }: Props & { clip: ClipDetail }) {
  const api = getApi()
  const frames = clip.frames
  const last = frames.length - 1
  const index = Math.max(0, Math.min(frame, last))
  const current = frames[index]
  const audio = useClipAudio(api.mediaUrl(clip.audio))
  const position = clips.findIndex((c) => c.id === clip.id)
  const prevClip = position > 0 ? clips[position - 1] : undefined
  const nextClip = position >= 0 && position < clips.length - 1 ? clips[position + 1] : undefined
  usePrefetchClips(project.dir, [nextClip?.id, prevClip?.id].filter((id) => id !== undefined))

  const neighbours = useMemo(
    () => [frames[index + 1], frames[index - 1]].filter((f) => f !== undefined).map((f) => api.mediaUrl(f.image)),
    [frames, index, api]
  )

  const go = (i: number): void => {
    if (i >= 0 && i <= last && i !== index) onFrame(i)
  }

  useShortcuts({
    ArrowRight: () => go(index + 1),
    ArrowLeft: () => go(index - 1),
    Home: () => go(0),
    End: () => go(last),
    ' ': () => audio.toggleClip(),
    s: () => audio.playSecond(index),
    S: () => audio.playSecond(index),
    '[': () => prevClip && onClip(prevClip.id),
    ']': () => nextClip && onClip(nextClip.id),
    Escape: () => onBack()
  })

  if (!current) {
    return (
      <main className="clip-view loading">
        <p className="muted">This clip has no frames.</p>
        <button type="button" onClick={onBack} data-testid="clip-back">
          Back to clips
        </button>
      </main>
    )
  }

  return (
    <main className="clip-view" data-testid="clip-view" data-clip-id={clip.id}>
      <div className="clip-toolbar">
        <button type="button" className="ghost" onClick={onBack} data-testid="clip-back" title="Back to the clip list (Esc)">
          ← Clips
        </button>
        <div className="clip-title">
          <strong data-testid="clip-title">{clip.name}</strong>
          <span className="muted">
            {clip.videoName} · {formatClock(clip.start)}–{formatClock(clip.start + clip.duration)}
          </span>
          <StatusBadge status={clip.status} />
          <FlagBadges flags={clip.flags} />
        </div>
        <div className="clip-nav">
          <button type="button" className="ghost" disabled={!prevClip} onClick={() => prevClip && onClip(prevClip.id)} data-testid="clip-prev" title="Previous clip ([)">
            ‹ Prev clip
          </button>
          <span className="muted">{position >= 0 ? `${position + 1} / ${clips.length}` : ''}</span>
          <button type="button" className="ghost" disabled={!nextClip} onClick={() => nextClip && onClip(nextClip.id)} data-testid="clip-next" title="Next clip (])">
            Next clip ›
          </button>
        </div>
      </div>

      <FrameStage frame={current} src={api.mediaUrl(current.image)} neighbours={neighbours} />

      <div className="clip-controls">
        <div className="frame-controls">
          <button type="button" onClick={() => go(index - 1)} disabled={index === 0} data-testid="frame-prev" title="Previous frame (←)" aria-label="Previous frame">
            ◀
          </button>
          <span className="frame-index" data-testid="frame-index" data-index={index}>
            Frame <strong>{index + 1}</strong> / {frames.length}
          </span>
          <button type="button" onClick={() => go(index + 1)} disabled={index === last} data-testid="frame-next" title="Next frame (→)" aria-label="Next frame">
            ▶
          </button>
          <span className="frame-time" data-testid="frame-time" data-time={current.time} title={`Source frame ${current.sourceFrame}`}>
            {formatClock(current.time)} <span className="muted">in video · {current.time.toFixed(3)} s · second {index}–{index + 1} of clip</span>
          </span>
        </div>
        <div className="audio-controls">
          <button type="button" className={audio.playing === 'clip' ? 'primary' : undefined} onClick={audio.toggleClip} data-testid="audio-play" title="Play or pause the whole clip (Space)">
            {audio.playing === 'clip' ? '❚❚ Pause' : '▶ Play clip'}
          </button>
          <button
            type="button"
            className={audio.playing === 'second' ? 'primary' : undefined}
            onClick={() => audio.playSecond(index)}
            data-testid="audio-play-second"
            title="Play the audio of this frame: seconds [i, i+1) of the clip (S)"
          >
            ▶ This second
          </button>
          <span className="audio-time muted" data-testid="audio-time">
            {audio.time.toFixed(2)} / {formatSeconds(clip.duration)}
          </span>
          {clip.flags.includes('no_audio') && <span className="muted">(silent: the video has no audio)</span>}
          <audio ref={audio.ref} src={api.mediaUrl(clip.audio)} preload="auto" data-testid="clip-audio" {...audio.events} />
        </div>
      </div>
      {audio.error && (
        <div className="error-note" role="alert" data-testid="audio-error">
          {audio.error}
        </div>
      )}

      <Filmstrip
        frames={frames}
        current={index}
        onSelect={go}
        thumbUrl={(f) => api.mediaUrl(f.thumb)}
        playhead={audio.playing || audio.time > 0 ? Math.min(1, audio.time / clip.duration) : null}
      />
      <div className="help muted">{HELP}</div>
    </main>
  )
}
