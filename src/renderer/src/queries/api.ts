import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import type { ChannelName, Input, Output } from '../../../shared/api'
import type { ProjectSummary } from '../../../shared/domain'
import { getApi } from '../apiClient'
import { keys } from './keys'

export const call = <C extends ChannelName>(channel: C, input: Input<C>): Promise<Output<C>> => getApi().call(channel, input)

export const useCurrentProject = () => useQuery({ queryKey: keys.currentProject(), queryFn: () => call('project.current', {}) })

export const useRecentProjects = () => useQuery({ queryKey: keys.recentProjects(), queryFn: () => call('project.recent', {}) })

export const useVideos = (dir: string) => useQuery({ queryKey: keys.videos(dir), queryFn: () => call('video.list', {}) })

export const useClips = (dir: string) => useQuery({ queryKey: keys.clips(dir), queryFn: () => call('clip.list', {}) })

/** Asks for the open project's clips while the project view's chunk is still loading (no waterfall). */
export function usePrefetchClipList(dir: string | null): void {
  const qc = useQueryClient()
  useEffect(() => {
    if (dir) void qc.prefetchQuery({ queryKey: keys.clips(dir), queryFn: () => call('clip.list', {}) })
  }, [qc, dir])
}

export const useClip = (dir: string, clipId: number | null) =>
  useQuery({
    queryKey: keys.clip(dir, clipId ?? -1),
    queryFn: () => call('clip.get', { clipId: clipId as number }),
    enabled: clipId !== null
  })

/** Loads a clip's frames ahead of time (the neighbours of the open clip), so [ and ] are instant. */
export function usePrefetchClips(dir: string, clipIds: number[]): void {
  const qc = useQueryClient()
  const ids = clipIds.join(',')
  useEffect(() => {
    for (const id of ids ? ids.split(',').map(Number) : [])
      void qc.prefetchQuery({ queryKey: keys.clip(dir, id), queryFn: () => call('clip.get', { clipId: id }) })
  }, [qc, dir, ids])
}

export const useAppInfo = (enabled = true) =>
  useQuery({ queryKey: keys.appInfo(), queryFn: () => call('app.info', {}), enabled, staleTime: 60_000 })

export const useSettings = () => useQuery({ queryKey: keys.settings(), queryFn: () => call('settings.get', {}) })

/** Polls an import job's results until it is done (progress itself arrives as events). */
export const useImportResult = (jobId: string | null) =>
  useQuery({
    queryKey: keys.importResult(jobId ?? ''),
    queryFn: () => call('media.importResult', { jobId: jobId as string }),
    enabled: jobId !== null,
    refetchInterval: (q) => (q.state.data?.done ? false : 750)
  })

function setProject(qc: QueryClient, p: ProjectSummary | null): void {
  qc.setQueryData(keys.currentProject(), p)
  void qc.invalidateQueries({ queryKey: keys.recentProjects() })
}

export const useCreateProject = () => {
  const qc = useQueryClient()
  return useMutation({ mutationFn: (input: Input<'project.create'>) => call('project.create', input), onSuccess: (p) => setProject(qc, p) })
}

export const useOpenProject = () => {
  const qc = useQueryClient()
  return useMutation({ mutationFn: (dir: string) => call('project.open', { dir }), onSuccess: (p) => setProject(qc, p) })
}

export const useCloseProject = () => {
  const qc = useQueryClient()
  return useMutation({ mutationFn: () => call('project.close', {}), onSuccess: () => setProject(qc, null) })
}

export const useSaveSettings = () => {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (patch: Input<'settings.set'>) => call('settings.set', patch),
    onSuccess: (s) => {
      qc.setQueryData(keys.settings(), s)
      void qc.invalidateQueries({ queryKey: keys.appInfo() })
    }
  })
}

/** Main-process changes (import finished, project opened elsewhere) refetch the project's data. */
export function useProjectChangedEvents(): void {
  const qc = useQueryClient()
  useEffect(
    () =>
      getApi().on('project.changed', () => {
        void qc.invalidateQueries({ queryKey: keys.currentProject() })
        void qc.invalidateQueries({ queryKey: keys.recentProjects() })
        void qc.invalidateQueries({ queryKey: ['projectData'] })
      }),
    [qc]
  )
}

export const useProjectStats = (dir: string) => useQuery({ queryKey: keys.stats(dir), queryFn: () => call('project.stats', {}) })
