import { useState, type FormEvent } from 'react'
import type { PredictionImportReport } from '../../../../shared/avsbench'
import type { ProjectSummary } from '../../../../shared/domain'
import { basename, plural } from '../../format'
import { useImportPredictions } from '../../queries/dataset'
import { ErrorNote } from '../ErrorNote'
import { Modal } from '../Modal'
import { FolderField } from './FolderField'
import { SkippedList, WarningList } from './SkippedList'
import './dataset.css'

const LAYOUT: Record<ProjectSummary['task'], string> = {
  s4: 'pred_masks/<category>/<clip>/<clip>_0.png … _4.png',
  ms3: 'pred_masks/<clip>/<clip>_0.png … _4.png',
  avss: 'pred_masks/<uid>/<uid>_0.png … _9.png (palette colours)'
}

/** Imports the masks an official model wrote with `--save_pred_mask` as the project's model masks. */
export function PredictionsDialog({ project, onEvaluate, onClose }: { project: ProjectSummary; onEvaluate: () => void; onClose: () => void }) {
  const [dir, setDir] = useState('')
  const [model, setModel] = useState('')
  const importPredictions = useImportPredictions(project.dir)
  const report = importPredictions.data
  const submit = (e: FormEvent): void => {
    e.preventDefault()
    importPredictions.mutate({ dir: dir.trim(), model: model.trim() || undefined })
  }
  return (
    <Modal title="Import model predictions" onClose={onClose} testId="predictions-dialog">
      {report ? (
        <PredictionReport report={report} onAgain={importPredictions.reset} onEvaluate={onEvaluate} onClose={onClose} />
      ) : (
        <form onSubmit={submit} data-testid="predictions-form">
          <p className="hint">
            The folder an AVSBench model’s <code>test.py --save_pred_mask</code> wrote (<code>pred_masks</code>, or the folder holding it):{' '}
            <code>{LAYOUT[project.task]}</code>, 0-based. The masks become the clips’ model masks, resized to each frame; human masks are kept.
          </p>
          <label htmlFor="predictions-dir">Predictions folder</label>
          <FolderField id="predictions-dir" value={dir} onChange={setDir} testId="predictions-dir" placeholder="/path/to/run/pred_masks" />
          <label htmlFor="predictions-model">Model name</label>
          <input
            id="predictions-model"
            type="text"
            value={model}
            onChange={(e) => setModel(e.target.value)}
            placeholder={dir.trim() ? basename(dir.trim()) : 'default: the folder name'}
            data-testid="predictions-model"
          />
          <ErrorNote error={importPredictions.error} testId="predictions-error" />
          <div className="actions">
            <button type="button" className="ghost" onClick={onClose}>
              Close
            </button>
            <button type="submit" className="primary" disabled={!dir.trim() || importPredictions.isPending} data-testid="predictions-submit">
              {importPredictions.isPending ? 'Importing…' : 'Import'}
            </button>
          </div>
        </form>
      )}
    </Modal>
  )
}

function PredictionReport({ report, onAgain, onEvaluate, onClose }: { report: PredictionImportReport; onAgain: () => void; onEvaluate: () => void; onClose: () => void }) {
  return (
    <div className="dataset-report" data-testid="predictions-report" data-clips={report.clips} data-masks={report.masks} data-skipped={report.skipped.length}>
      <p className="dataset-ok" data-testid="predictions-summary">
        Imported {plural(report.masks, 'model mask')} into {plural(report.clips, 'clip')}.
      </p>
      <SkippedList skipped={report.skipped} testId="predictions-skipped" />
      <WarningList warnings={report.warnings} testId="predictions-warnings" />
      <div className="actions">
        <button type="button" className="ghost" onClick={onAgain} data-testid="predictions-again">
          Import more…
        </button>
        <button type="button" onClick={onEvaluate} data-testid="predictions-evaluate">
          Evaluate
        </button>
        <button type="button" className="primary" onClick={onClose} data-testid="predictions-done">
          Done
        </button>
      </div>
    </div>
  )
}
