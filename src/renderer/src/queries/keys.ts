/** Every react-query key of the renderer. Project-scoped keys carry the project folder. */
export const keys = {
  appInfo: () => ['app', 'info'] as const,
  settings: () => ['settings'] as const,
  currentProject: () => ['project', 'current'] as const,
  recentProjects: () => ['project', 'recent'] as const,
  /** Prefix of everything that belongs to the open project. */
  projectData: (dir: string) => ['projectData', dir] as const,
  videos: (dir: string) => ['projectData', dir, 'videos'] as const,
  clips: (dir: string) => ['projectData', dir, 'clips'] as const,
  clip: (dir: string, clipId: number) => ['projectData', dir, 'clip', clipId] as const,
  stats: (dir: string) => ['projectData', dir, 'stats'] as const,
  /** The scaled-down current masks of the thumbnail frames of one row of the clip grid (its overlays), clip ids joined by commas. */
  clipThumbMasks: (dir: string, clipIds: string) => ['projectData', dir, 'clipThumbMasks', clipIds] as const,
  /** The clip's decoded WAV, log-mel and loudness: immutable media, so outside projectData (edits do not refetch it). */
  clipSound: (dir: string, clipId: number) => ['media', dir, 'clipSound', clipId] as const,
  importResult: (jobId: string) => ['import', jobId, 'result'] as const
}
