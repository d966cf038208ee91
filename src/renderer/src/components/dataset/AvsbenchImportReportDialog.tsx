import type { AvsbenchImportReport } from '../../../../shared/avsbench'
import { TASK_LABEL, plural } from '../../format'
import { Modal } from '../Modal'
import { SkippedList, WarningList } from './SkippedList'
import './dataset.css'

/** What a new project from an AVSBench release holds, and which clips of the release were left out. */
export function AvsbenchImportReportDialog({ report, onClose }: { report: AvsbenchImportReport; onClose: () => void }) {
  return (
    <Modal title="AVSBench release imported" onClose={onClose} testId="avsbench-report">
      <div className="dataset-report" data-clips={report.clips} data-frames={report.frames} data-masks={report.masks} data-skipped={report.skipped.length}>
        <p className="dataset-ok" data-testid="avsbench-report-summary">
          {report.project.name} ({TASK_LABEL[report.project.task]}): {plural(report.clips, 'clip')}, {plural(report.frames, 'frame')} and{' '}
          {plural(report.masks, 'ground-truth mask')} imported.
        </p>
        <table className="info-table">
          <tbody>
            <tr>
              <th>Project</th>
              <td>
                <code>{report.project.dir}</code>
              </td>
            </tr>
            <tr>
              <th>Clips</th>
              <td data-testid="avsbench-report-clips">{report.clips}</td>
            </tr>
            <tr>
              <th>Frames</th>
              <td data-testid="avsbench-report-frames">{report.frames}</td>
            </tr>
            <tr>
              <th>Masks</th>
              <td data-testid="avsbench-report-masks">{report.masks}</td>
            </tr>
          </tbody>
        </table>
        <p className="hint">Imported masks are accepted ground truth; splits and categories come from the release’s CSV.</p>
        <SkippedList skipped={report.skipped} testId="avsbench-skipped" />
        <WarningList warnings={report.warnings} testId="avsbench-warnings" />
        <div className="actions">
          <button type="button" className="primary" onClick={onClose} data-testid="avsbench-report-close">
            Open the project
          </button>
        </div>
      </div>
    </Modal>
  )
}
