import type { ProjectSummary } from '../../../shared/domain'

/** Project-level dataset actions in the app bar (export, evaluate, import predictions). */
export function DatasetActions(_props: { project: ProjectSummary }) {
  return null
}
