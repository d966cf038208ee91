import { useCallback, useEffect, useRef, useState } from 'react'
import type { Clip, ClipDetail, ProjectSummary, ReviewStatus } from '../../../shared/domain'
import { errorMessage, getApi } from '../apiClient'
import { EditorStage } from '../canvas/EditorStage'
import { FrameLoader } from '../canvas/FrameLoader'
import { decodeMask } from '../canvas/maskCodec'
import { useEditorTick } from '../canvas/useEditorTick'
import { defineAction, Editor, editorActions, type EditorHost, type FrameDirection } from '../editor'
import { formatClock, formatSeconds } from '../format'
import { call, useClip, usePrefetchClips } from '../queries/api'
import { loadHistory, saveHistory } from '../queries/historyStore'
import { useClipSegmented, useJobs } from '../queries/segment'
import { useWriteState, writes } from '../queries/maskWrites'
import { isTypingTarget } from '../shortcuts'
import { Filmstrip } from '../timeline/Filmstrip'
import { SoundTimeline } from '../timeline/SoundTimeline'
import { useClipAudio } from '../timeline/useClipAudio'
import { FlagBadges, StatusBadge } from './Badges'
import { EditorToolbar } from './EditorToolbar'
import { ErrorNote } from './ErrorNote'
import { HelpSheet } from './HelpSheet'
import { RejectDialog } from './RejectDialog'
import { AutoSegmentDialog } from './segment/AutoSegmentDialog'
import { FrameModelInfo } from './segment/FrameModelInfo'

interface Props {
  project: ProjectSummary
  clipId: number
  frame: number
  /** All clips of the project, for previous/next clip. */
  clips: Clip[]
  onFrame: (index: number) => void
  onClip: (clipId: number) => void
  /** Opens a frame of any clip (N: next frame needing review). */
  onOpenFrame: (clipId: number, index: number) => void
  onBack: () => void
  /** Opens the models and provider settings. */
  onOpenModels?: () => void
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

/** The clip view's extras beside the editor's own host calls (bound in CLIP_ACTIONS). */
interface ClipHost extends EditorHost {
  goToEdge(edge: 'first' | 'last'): void
  goToClip(direction: FrameDirection): void
}

const clipHost = (e: Editor): ClipHost => e.requireHost() as ClipHost

/** App-level commands in the same registry, so they appear in the help sheet and cannot clash. */
const CLIP_ACTIONS = [
  defineAction({ id: 'frame.first', label: 'First frame', group: 'Navigation', kbd: 'home', run: (e) => clipHost(e).goToEdge('first') }),
  defineAction({ id: 'frame.last', label: 'Last frame', group: 'Navigation', kbd: 'end', run: (e) => clipHost(e).goToEdge('last') }),
  defineAction({ id: 'clip.previous', label: 'Previous clip', group: 'Navigation', kbd: '{', run: (e) => clipHost(e).goToClip('previous') }),
  defineAction({ id: 'clip.next', label: 'Next clip', group: 'Navigation', kbd: '}', run: (e) => clipHost(e).goToClip('next') })
]

function LoadedClipView({ project, clip, clips, frame, onFrame, onClip, onOpenFrame, onBack, onOpenModels }: Props & { clip: ClipDetail }) {
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

  const [editor] = useState(() => new Editor({ task: project.task, actions: [...editorActions, ...CLIP_ACTIONS] }))
  const [loader] = useState(() => new FrameLoader(editor, writes, (p) => api.mediaUrl(p)))
  const [image, setImage] = useState<{ frameId: number; bitmap: ImageBitmap } | null>(null)
  const [loadedFrameId, setLoadedFrameId] = useState<number | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [helpOpen, setHelpOpen] = useState(false)
  const [rejectPrompt, setRejectPrompt] = useState<((comment: string | null) => void) | null>(null)
  const [segmentOpen, setSegmentOpen] = useState(false)
  const saveState = useWriteState()
  useEditorTick(editor)

  const go = (i: number): void => {
    if (i >= 0 && i <= last && i !== index) onFrame(i)
  }

  // The host reads the latest render's values: the editor keeps one host object for its lifetime.
  const live = useRef({ go, index, last, frames, audio, prevClip, nextClip, onClip, onOpenFrame, onBack, current })
  live.current = { go, index, last, frames, audio, prevClip, nextClip, onClip, onOpenFrame, onBack, current }

  useEffect(() => {
    const host: ClipHost = {
      goToFrame: (d) => live.current.go(live.current.index + (d === 'next' ? 1 : -1)),
      goToEdge: (edge) => live.current.go(edge === 'first' ? 0 : live.current.last),
      goToClip: (d) => {
        const c = d === 'next' ? live.current.nextClip : live.current.prevClip
        if (c) live.current.onClip(c.id)
      },
      goToNextNeedingReview: () => {
        void (async () => {
          await writes.settle()
          const next = await call('review.next', { afterFrameId: live.current.current?.id })
          if (!next) setError('No frame needs review any more.')
          else live.current.onOpenFrame(next.clipId, next.index)
        })().catch((err: unknown) => setError(errorMessage(err)))
      },
      getNeighborMask: async (d) => {
        const f = live.current.frames[live.current.index + (d === 'next' ? 1 : -1)]
        if (!f) return null
        await loader.ensureFrame(f)
        return editor.getLabelMap(f.id)
      },
      getClipFrameIds: () => live.current.frames.map((f) => f.id),
      togglePlay: () => live.current.audio.toggleClip(),
      playCurrentSecond: () => live.current.audio.playSecond(live.current.index),
      promptRejectComment: () => new Promise<string | null>((resolve) => setRejectPrompt(() => resolve)),
      showHelp: () => setHelpOpen(true),
      reportError: (err) => setError(errorMessage(err))
    }
    editor.setHost(host)
    const offCommit = editor.onCommit((frameId) => writes.scheduleMaskSave(frameId, () => editor.getLabelMap(frameId)))
    const offStatus = editor.onStatusCommit((changes) => {
      // A queued save would mark the frame 'edited' after this status: send the saves first.
      writes.flush(changes.map((c) => c.frameId))
      const groups = new Map<string, { status: ReviewStatus; comment: string | null; frameIds: number[] }>()
      for (const c of changes) {
        const key = `${c.status}\u0000${c.comment ?? ''}`
        const g = groups.get(key) ?? { status: c.status, comment: c.comment, frameIds: [] }
        g.frameIds.push(c.frameId)
        groups.set(key, g)
      }
      for (const g of groups.values()) {
        void writes.enqueue(() => call('frame.setStatus', { frameIds: g.frameIds, status: g.status, comment: g.comment })).catch((err: unknown) => setError(errorMessage(err)))
      }
    })
    const offFrame = editor.subscribe((c) => {
      if (c.kind === 'frame') setLoadedFrameId(c.frameId)
    })
    return () => {
      offCommit()
      offStatus()
      offFrame()
      writes.flush()
    }
  }, [editor, loader])

  // A job stored this clip's masks: frames the editor holds get the new model mask; a frame whose
  // newest mask is the model's (no edit of a person) shows it, edited frames keep their edit.
  const refreshModelMasks = useCallback(() => {
    void (async () => {
      await writes.settle()
      for (const f of live.current.frames) {
        if (!editor.hasFrame(f.id)) continue
        const latest = await call('mask.get', { frameId: f.id })
        if (!latest) continue
        const map = await decodeMask(latest)
        const model = latest.source === 'model' ? map : await call('mask.get', { frameId: f.id, source: 'model' }).then((m) => (m ? decodeMask(m) : null))
        if (!editor.hasFrame(f.id)) continue
        const editing = writes.busy() || (editor.getCurrentFrameId() === f.id && (editor.isInGesture() || editor.isPointerDown()))
        if (latest.source === 'model' && !editing) editor.loadFrame(f.id, map, { modelMask: map, select: false })
        else editor.setModelMask(f.id, model)
      }
    })().catch((err: unknown) => setError(errorMessage(err)))
  }, [editor])
  useClipSegmented(clip.id, refreshModelMasks)
  const jobs = useJobs(project.dir)
  const segmentingHere = (jobs.data ?? []).some((j) => j.status === 'running' && j.currentClipId === clip.id)

  // Undo history survives a reload and a restart (kept in the project): restore it once, then load the frames its steps refer to.
  const clipIdForHistory = clip.id
  useEffect(() => {
    let alive = true
    // Saves go out one after another, so an older history never lands after a newer one.
    let chain: Promise<void> = Promise.resolve()
    void loadHistory(api, clipIdForHistory).then((saved) => {
      if (!alive || !saved || editor.canUndo() || editor.canRedo()) return
      try {
        editor.importHistory(saved)
        for (const id of editor.getHistoryFrameIds()) {
          const f = live.current.frames.find((x) => x.id === id)
          if (f) loader.ensureFrame(f).catch(() => undefined)
        }
      } catch {
        chain = chain.then(() => saveHistory(api, clipIdForHistory, { version: 0, limit: 0, undos: [], redos: [] }))
      }
    })
    let timer: ReturnType<typeof setTimeout> | null = null
    const persist = (): void => {
      timer = null
      const json = editor.exportHistory()
      chain = chain.then(() => saveHistory(api, clipIdForHistory, json))
    }
    const off = editor.subscribe((c) => {
      if (c.kind !== 'history' || editor.isInGesture()) return
      if (timer) clearTimeout(timer)
      timer = setTimeout(persist, 400)
    })
    const onUnload = (): void => {
      if (timer) persist()
    }
    window.addEventListener('pagehide', onUnload)
    return () => {
      alive = false
      off()
      window.removeEventListener('pagehide', onUnload)
      if (timer) {
        clearTimeout(timer)
        persist()
      }
    }
  }, [editor, loader, api, clipIdForHistory])

  // The server's statuses (after our writes have landed, so they are not older than the editor's).
  useEffect(() => {
    if (writes.busy()) return
    editor.loadStatuses(frames.map((f) => ({ frameId: f.id, status: f.status, comment: f.comment })))
  }, [editor, frames])

  // Open the frame: from the editor if it has it (its copy may hold unsaved edits), else load it.
  const currentId = current?.id
  useEffect(() => {
    const f = live.current.frames.find((x) => x.id === currentId)
    if (!f) return
    let cancelled = false
    writes.flush()
    if (editor.hasFrame(f.id)) editor.selectFrame(f.id)
    else
      loader
        .ensureFrame(f)
        .then(() => !cancelled && editor.selectFrame(f.id))
        .catch((err: unknown) => !cancelled && setError(errorMessage(err)))
    loader
      .image(f)
      .then((bitmap) => !cancelled && setImage({ frameId: f.id, bitmap }))
      .catch((err: unknown) => !cancelled && setError(errorMessage(err)))
    // Neighbours next, so that the arrow keys find them ready.
    const i = f.index
    for (const n of [live.current.frames[i + 1], live.current.frames[i - 1]]) {
      if (!n) continue
      loader.ensureFrame(n).catch(() => undefined)
      loader.image(n).catch(() => undefined)
    }
    return () => {
      cancelled = true
    }
  }, [editor, loader, currentId])

  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent): void => {
      if (e.defaultPrevented || isTypingTarget(e.target) || document.querySelector('[aria-modal="true"]')) return
      if (editor.keyDown(e.key, { ctrl: e.ctrlKey, meta: e.metaKey, shift: e.shiftKey, alt: e.altKey, repeat: e.repeat })) {
        e.preventDefault()
        return
      }
      if (e.key === 'Escape') {
        e.preventDefault()
        live.current.onBack()
      }
    }
    const onKeyUp = (e: KeyboardEvent): void => {
      if (editor.keyUp(e.key, { ctrl: e.ctrlKey, meta: e.metaKey, shift: e.shiftKey, alt: e.altKey })) e.preventDefault()
    }
    window.addEventListener('keydown', onKeyDown)
    window.addEventListener('keyup', onKeyUp)
    return () => {
      window.removeEventListener('keydown', onKeyDown)
      window.removeEventListener('keyup', onKeyUp)
    }
  }, [editor])

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

  const statusOf = (f: { id: number; status: ReviewStatus }): ReviewStatus => editor.getStatus(f.id)?.status ?? f.status
  const currentStatus = statusOf(current)
  const ready = loadedFrameId === current.id
  const secondState = (s: number) => clip.seconds.find((m) => m.second === s)?.state ?? null

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
          <span title="Clip status (derived from its frames)" data-testid="clip-status">
            <StatusBadge status={clip.status} />
          </span>
          <FlagBadges flags={clip.flags} />
        </div>
        {segmentingHere && (
          <span className="badge status-auto" data-testid="clip-segmenting" title="A job is running the model on this clip; its masks appear when it is done">
            segmenting…
          </span>
        )}
        <button type="button" onClick={() => setSegmentOpen(true)} data-testid="segment-clip" title="Run the model on this clip">
          Auto-segment
        </button>
        <div className="clip-nav">
          <button type="button" className="ghost" disabled={!prevClip} onClick={() => prevClip && onClip(prevClip.id)} data-testid="clip-prev" title="Previous clip ({)">
            ‹ Prev clip
          </button>
          <span className="muted">{position >= 0 ? `${position + 1} / ${clips.length}` : ''}</span>
          <button type="button" className="ghost" disabled={!nextClip} onClick={() => nextClip && onClip(nextClip.id)} data-testid="clip-next" title="Next clip (})">
            Next clip ›
          </button>
        </div>
      </div>

      <EditorToolbar editor={editor} saveState={saveState} hasModelMask={editor.getModelMask() !== null} />
      {(error || saveState.error) && (
        <div className="error-note editor-error" role="alert" data-testid="editor-error">
          {error ?? `Could not save: ${saveState.error}`}
          {error && (
            <button type="button" className="ghost" onClick={() => setError(null)} aria-label="Dismiss">
              ✕
            </button>
          )}
        </div>
      )}

      <EditorStage
        editor={editor}
        image={image && image.frameId === current.id ? image.bitmap : null}
        beside={editor.getSession().modelMaskMode === 'beside'}
        frameIndex={index}
        imageSrc={api.mediaUrl(current.image)}
        loading={!ready}
      />

      <div className="clip-controls">
        <div className="frame-controls">
          <button type="button" onClick={() => go(index - 1)} disabled={index === 0} data-testid="frame-prev" title="Previous frame (←)" aria-label="Previous frame">
            ◀
          </button>
          <span className="frame-index" data-testid="frame-index" data-index={index} data-frame-id={current.id} data-ready={ready ? 'true' : 'false'}>
            Frame <strong>{index + 1}</strong> / {frames.length}
          </span>
          <button type="button" onClick={() => go(index + 1)} disabled={index === last} data-testid="frame-next" title="Next frame (→)" aria-label="Next frame">
            ▶
          </button>
          <span data-testid="frame-status" data-status={currentStatus} title={editor.getStatus(current.id)?.comment ?? undefined}>
            <StatusBadge status={currentStatus} />
          </span>
          <FrameModelInfo project={project} frameId={current.id} />
          <span className="frame-time" data-testid="frame-time" data-time={current.time} title={`Source frame ${current.sourceFrame}`}>
            {formatClock(current.time)} <span className="muted">in video · second {index}–{index + 1} of clip</span>
          </span>
        </div>
        <div className="review-controls">
          <button type="button" className="ghost ok" onClick={() => editor.runAction('review.accept')} data-testid="review-accept" title="Accept frame (A)">
            ✓ Accept
          </button>
          <button type="button" className="ghost" onClick={() => editor.runAction('review.reject')} data-testid="review-reject" title="Reject frame (R)">
            ✗ Reject
          </button>
          <button type="button" className="ghost" onClick={() => editor.runAction('review.acceptClip')} data-testid="review-accept-clip" title="Accept the whole clip (Shift+A)">
            ✓✓ Clip
          </button>
          <button type="button" className="ghost" onClick={() => editor.runAction('review.nextNeedingReview')} data-testid="review-next" title="Next frame needing review, across clips (N)">
            Next to review ⏭
          </button>
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

      <SoundTimeline
        clip={clip}
        dir={project.dir}
        current={index}
        audioUrl={api.mediaUrl(clip.audio)}
        time={audio.time}
        playing={audio.playing !== null}
        onSeek={(t) => audio.seek(t)}
        secondState={secondState}
        onSecondState={(second, state) => {
          void writes.enqueue(() => call('clip.setSecond', { clipId: clip.id, second, state })).catch((err: unknown) => setError(errorMessage(err)))
        }}
      />
      <Filmstrip
        frames={frames}
        current={index}
        onSelect={go}
        thumbUrl={(f) => api.mediaUrl(f.thumb)}
        statusOf={statusOf}
        playhead={audio.playing || audio.time > 0 ? Math.min(1, audio.time / clip.duration) : null}
      />
      <div className="help muted">
        ←/→ frame · B/E/P/F tools · [/] size · Ctrl+Z undo · A accept · R reject · N next to review · Space play · S this second · ? all shortcuts
      </div>

      {helpOpen && <HelpSheet groups={editor.actions.helpSheet(/Mac/.test(navigator.platform))} onClose={() => setHelpOpen(false)} />}
      {segmentOpen && (
        <AutoSegmentDialog
          project={project}
          clipIds={[clip.id]}
          title={`Auto-segment ${clip.name}`}
          onClose={() => setSegmentOpen(false)}
          onOpenModels={
            onOpenModels &&
            (() => {
              setSegmentOpen(false)
              onOpenModels()
            })
          }
        />
      )}
      {rejectPrompt && (
        <RejectDialog
          frameLabel={`frame ${index + 1}`}
          onDone={(comment) => {
            rejectPrompt(comment)
            setRejectPrompt(null)
          }}
        />
      )}
    </main>
  )
}

