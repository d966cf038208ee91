import { useSyncExternalStore } from 'react'
import type { LabelMap } from '../editor'
import { errorMessage } from '../apiClient'
import { encodeMask } from '../canvas/maskCodec'
import { call } from './api'

export interface WriteState {
  /** Saves waiting for their debounce, plus writes queued or in flight. */
  pending: number
  /** The last failed write's message (cleared by the next success). */
  error: string | null
}

/**
 * Every write of the editor (mask saves, review statuses) in one serial queue, so they reach the
 * server in the order they were made: a human revision marks a frame 'edited' on the server, so a
 * stroke's save must land before the 'accepted' that follows it. Mask saves are debounced per
 * frame and read the live label map when they run. Module-level: writes outlive the clip view.
 */
export class WriteQueue {
  private readonly timers = new Map<number, { timer: ReturnType<typeof setTimeout>; read: () => LabelMap | null; since: number }>()
  /** Milliseconds from the edit (stroke end) to the server's answer, the last 50 saves. */
  private readonly latencies: number[] = []
  private chain: Promise<void> = Promise.resolve()
  private queued = 0
  private error: string | null = null
  private readonly listeners = new Set<(s: WriteState) => void>()
  private readonly idleListeners = new Set<() => void>()

  constructor(private readonly delayMs = 100) {}

  private snapshot: WriteState = { pending: 0, error: null }

  /** The same object until something changes (a useSyncExternalStore snapshot). */
  state(): WriteState {
    const pending = this.timers.size + this.queued
    if (pending !== this.snapshot.pending || this.error !== this.snapshot.error) this.snapshot = { pending, error: this.error }
    return this.snapshot
  }

  busy(): boolean {
    return this.timers.size + this.queued > 0
  }

  subscribe(listener: (s: WriteState) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Called when the queue drains (refetch server-derived data then). */
  onIdle(listener: () => void): () => void {
    this.idleListeners.add(listener)
    return () => this.idleListeners.delete(listener)
  }

  private notify(): void {
    const s = this.state()
    for (const l of [...this.listeners]) l(s)
    if (s.pending === 0) for (const l of [...this.idleListeners]) l()
  }

  /** Saves the frame's mask `delayMs` after the last call for it (reading it through `read` then). */
  scheduleMaskSave(frameId: number, read: () => LabelMap | null): void {
    const prev = this.timers.get(frameId)
    if (prev) clearTimeout(prev.timer)
    const timer = setTimeout(() => this.flush([frameId]), this.delayMs)
    this.timers.set(frameId, { timer, read, since: performance.now() })
    this.notify()
  }

  /** Starts the debounced saves now (all, or those of `frameIds`). */
  flush(frameIds?: readonly number[]): void {
    for (const [frameId, t] of [...this.timers]) {
      if (frameIds && !frameIds.includes(frameId)) continue
      clearTimeout(t.timer)
      this.timers.delete(frameId)
      void this.enqueue(async () => {
        const map = t.read()
        if (!map) return
        await call('mask.save', { frameId, ...(await encodeMask(map)) })
        this.latencies.push(performance.now() - t.since)
        if (this.latencies.length > 50) this.latencies.shift()
      })
    }
  }

  /** Stroke end to revision stored (debounce + deflate + request + SQLite), last 50 saves, ms. */
  saveLatencies(): number[] {
    return [...this.latencies]
  }

  /** Runs `task` after every write queued before it. */
  enqueue<T>(task: () => Promise<T>): Promise<T> {
    this.queued++
    this.notify()
    const run = this.chain.then(task)
    this.chain = run.then(
      () => {
        this.error = null
      },
      (err: unknown) => {
        this.error = errorMessage(err)
      }
    ).finally(() => {
      this.queued--
      this.notify()
    })
    return run
  }

  /** Flushes and resolves once everything written so far has reached the server. */
  async settle(): Promise<void> {
    this.flush()
    while (this.busy()) {
      this.flush()
      await this.chain
    }
  }
}

export const writes = new WriteQueue()

/** The save indicator's state: re-renders when the number of pending writes or the error changes. */
export const useWriteState = (): WriteState =>
  useSyncExternalStore(
    (cb) => writes.subscribe(cb),
    () => writes.state()
  )

if (typeof window !== 'undefined') {
  // A reload or close starts pending saves at once; while any is unfinished the browser asks first.
  window.addEventListener('beforeunload', (e) => {
    writes.flush()
    if (writes.busy()) e.preventDefault()
  })
}
