/**
 * What the editor needs from the app but must not do itself (no fetch, no DOM, no audio): the UI
 * implements this and passes it to `new Editor({ host })` or `editor.setHost(host)`.
 */
import type { LabelMap } from './types'

export type FrameDirection = 'previous' | 'next'

export interface EditorHost {
  /** Show the previous/next frame of the clip (the UI then calls editor.selectFrame / loadFrame). */
  goToFrame(direction: FrameDirection): void
  /** Jump to the next frame whose status is unreviewed/auto/rejected, across clips. */
  goToNextNeedingReview(): void
  /** The current mask of the neighbouring frame (from the editor if loaded, else mask.get). */
  getNeighborMask(direction: FrameDirection): LabelMap | null | Promise<LabelMap | null>
  /** Frame ids of the clip being edited, for "accept whole clip". */
  getClipFrameIds(): number[]
  /** Space: play or pause the clip's audio. */
  togglePlay(): void
  /** S: play just the second that contains the current frame. */
  playCurrentSecond(): void
  /** R: ask for an optional reject comment; null = the user cancelled, '' = no comment. */
  promptRejectComment?(): string | null | Promise<string | null>
  /** ?: open the shortcut sheet (built from editor.actions.helpSheet()). */
  showHelp?(): void
  /** Errors from async actions (a failed neighbour fetch, a refused class…). */
  reportError?(error: unknown): void
}
