import type { HelpSheetGroup } from '../editor'
import { Modal } from './Modal'

/** The `?` sheet, generated from the editor's action registry (the same list that binds the keys). */
export function HelpSheet({ groups, onClose }: { groups: HelpSheetGroup[]; onClose: () => void }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose} testId="help-sheet" wide>
      <div className="help-sheet">
        {groups.map((g) => (
          <section key={g.group}>
            <h3>{g.group}</h3>
            <dl>
              {g.items.map((item) => (
                <div key={item.id} className="help-row" data-action={item.id}>
                  <dt>{item.label}</dt>
                  <dd>{item.keys.length ? item.keys.map((k) => <kbd key={k}>{k}</kbd>) : <span className="muted">toolbar</span>}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
      <p className="hint">Space-drag or the middle button pans; the wheel zooms to the cursor. Shift with the polygon subtracts.</p>
    </Modal>
  )
}
