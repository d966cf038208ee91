import { errorMessage } from '../apiClient'

/** An inline error: the API's message, which names the file and the problem. */
export function ErrorNote({ error, testId }: { error: unknown; testId?: string }) {
  if (!error) return null
  return (
    <div className="error-note" role="alert" data-testid={testId}>
      {errorMessage(error)}
    </div>
  )
}
