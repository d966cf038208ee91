import { Suspense, useState } from 'react'
import type { ProjectSummary } from '../../../shared/domain'
import { useAvsbenchImportReport, useExportJob } from '../queries/dataset'
import { useRoute } from '../route'
import { lazyPanel } from '../lazyPanel'
import { initialExportForm, type ExportForm } from './dataset/datasetLogic'

// Each dialog is a chunk of its own, loaded when first opened.
const ExportDialog = lazyPanel(() => import('./dataset/ExportDialog'), 'ExportDialog')
const EvalPanel = lazyPanel(() => import('./dataset/EvalPanel'), 'EvalPanel')
const PredictionsDialog = lazyPanel(() => import('./dataset/PredictionsDialog'), 'PredictionsDialog')
const AvsbenchImportReportDialog = lazyPanel(() => import('./dataset/AvsbenchImportReportDialog'), 'AvsbenchImportReportDialog')

type Dialog = 'export' | 'eval' | 'predictions' | null

/**
 * Project-level dataset actions in the app bar (export, evaluate, import predictions). The export
 * job lives here, so closing its dialog or opening a clip does not lose it.
 */
export function DatasetActions({ project }: { project: ProjectSummary }) {
  const [dialog, setDialog] = useState<Dialog>(null)
  const [form, setForm] = useState<ExportForm>(() => initialExportForm(project))
  const job = useExportJob(project.dir)
  const [importReport, dismissImport] = useAvsbenchImportReport()
  const [, navigate] = useRoute()
  const exporting = job.phase === 'starting' || job.phase === 'running'
  const close = (): void => setDialog(null)
  return (
    <>
      <button
        type="button"
        className={`ghost${exporting ? ' importing' : ''}`}
        onClick={() => setDialog('export')}
        title="Write the project as an AVSBench dataset folder"
        data-testid="export-open"
        data-phase={job.phase}
      >
        {exporting ? `Exporting… ${Math.round((job.progress?.fraction ?? 0) * 100)}%` : 'Export…'}
      </button>
      <button type="button" className="ghost" onClick={() => setDialog('eval')} title="J and F of the model's masks against the corrected ones" data-testid="eval-open">
        Evaluate
      </button>
      <button type="button" className="ghost" onClick={() => setDialog('predictions')} title="Import an AVSBench model's saved predictions as model masks" data-testid="predictions-open">
        Import predictions…
      </button>
      <Suspense fallback={null}>
        {dialog === 'export' && <ExportDialog project={project} job={job} form={form} onForm={setForm} onClose={close} />}
        {dialog === 'eval' && (
          <EvalPanel
            project={project}
            onClose={close}
            onOpenClip={(clipId) => {
              close()
              navigate({ clipId, frame: 0 })
            }}
          />
        )}
        {dialog === 'predictions' && <PredictionsDialog project={project} onClose={close} onEvaluate={() => setDialog('eval')} />}
        {importReport && importReport.project.dir === project.dir && <AvsbenchImportReportDialog report={importReport} onClose={dismissImport} />}
      </Suspense>
    </>
  )
}
