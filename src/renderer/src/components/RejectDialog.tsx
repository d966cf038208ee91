import { useState } from 'react'
import { Modal } from './Modal'

/** R: reject the frame, with an optional comment. `onDone(null)` = cancelled. */
export function RejectDialog({ frameLabel, onDone }: { frameLabel: string; onDone: (comment: string | null) => void }) {
  const [comment, setComment] = useState('')
  return (
    <Modal title={`Reject ${frameLabel}`} onClose={() => onDone(null)} testId="reject-dialog">
      <form
        className="reject-form"
        onSubmit={(e) => {
          e.preventDefault()
          onDone(comment.trim())
        }}
      >
        <label>
          Comment (optional)
          <textarea
            autoFocus
            rows={3}
            maxLength={2000}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault()
                onDone(comment.trim())
              }
            }}
            placeholder="What is wrong with this mask?"
            data-testid="reject-comment"
          />
        </label>
        <div className="row-actions">
          <button type="button" className="ghost" onClick={() => onDone(null)}>
            Cancel
          </button>
          <button type="submit" className="danger" data-testid="reject-submit">
            Reject frame
          </button>
        </div>
      </form>
    </Modal>
  )
}
