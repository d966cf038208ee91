import { useState, type FormEvent } from 'react'
import { CLIP_SECONDS, TaskType } from '../../../shared/domain'
import { TASK_LABEL, basename } from '../format'
import { useCreateProject, useOpenProject, useRecentProjects } from '../queries/api'
import { AvsbenchImportCard } from './dataset/AvsbenchImportCard'
import { FolderField } from './dataset/FolderField'
import { ErrorNote } from './ErrorNote'

const TASK_HINT: Record<TaskType, string> = {
  s4: 'single sound source, binary masks',
  ms3: 'multiple sources, binary masks',
  avss: 'semantic, 71 classes'
}

export function StartScreen() {
  return (
    <main className="start" data-testid="start-screen">
      <div className="start-grid">
        <div className="start-col">
          <CreateProjectCard />
          <AvsbenchImportCard />
        </div>
        <div className="start-col">
          <OpenProjectCard />
          <RecentProjectsCard />
        </div>
      </div>
    </main>
  )
}

function CreateProjectCard() {
  const [dir, setDir] = useState('')
  const [name, setName] = useState('')
  const [task, setTask] = useState<TaskType>('s4')
  const create = useCreateProject()
  const submit = (e: FormEvent): void => {
    e.preventDefault()
    create.mutate({ dir: dir.trim(), task, name: name.trim() || undefined })
  }
  return (
    <form className="card" onSubmit={submit} data-testid="create-form">
      <h2>New project</h2>
      <label htmlFor="create-dir">Folder</label>
      <FolderField id="create-dir" value={dir} onChange={setDir} testId="create-dir" placeholder="/path/to/new-project" />
      <p className="hint">An empty or new folder: it will hold project.sqlite and the media cache.</p>
      <label htmlFor="create-name">Name</label>
      <input id="create-name" type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder={dir.trim() ? basename(dir.trim()) : 'optional'} data-testid="create-name" />
      <fieldset className="task-choice">
        <legend>Task</legend>
        {TaskType.options.map((t) => (
          <label key={t} className={t === task ? 'selected' : undefined}>
            <input type="radio" name="task" value={t} checked={t === task} onChange={() => setTask(t)} data-testid={`task-${t}`} />
            <strong>{TASK_LABEL[t]}</strong>
            <span className="muted">
              {CLIP_SECONDS[t]} s clips · {TASK_HINT[t]}
            </span>
          </label>
        ))}
      </fieldset>
      <ErrorNote error={create.error} testId="create-error" />
      <div className="actions">
        <button type="submit" className="primary" disabled={!dir.trim() || create.isPending} data-testid="create-submit">
          {create.isPending ? 'Creating…' : 'Create project'}
        </button>
      </div>
    </form>
  )
}

function OpenProjectCard() {
  const [dir, setDir] = useState('')
  const open = useOpenProject()
  const submit = (e: FormEvent): void => {
    e.preventDefault()
    open.mutate(dir.trim())
  }
  return (
    <form className="card" onSubmit={submit} data-testid="open-form">
      <h2>Open project</h2>
      <label htmlFor="open-dir">Project folder</label>
      <FolderField id="open-dir" value={dir} onChange={setDir} testId="open-dir" placeholder="/path/to/project" />
      <ErrorNote error={open.error} testId="open-error" />
      <div className="actions">
        <button type="submit" className="primary" disabled={!dir.trim() || open.isPending} data-testid="open-submit">
          {open.isPending ? 'Opening…' : 'Open'}
        </button>
      </div>
    </form>
  )
}

function RecentProjectsCard() {
  const recent = useRecentProjects()
  const open = useOpenProject()
  return (
    <section className="card" data-testid="recent-projects">
      <h2>Recent projects</h2>
      {recent.isPending && <p className="muted">Loading…</p>}
      <ErrorNote error={recent.error ?? open.error} testId="recent-error" />
      {recent.data?.length === 0 && <p className="muted">None yet.</p>}
      <ul className="recent-list" data-testid="recent-list">
        {recent.data?.map((r) => (
          <li key={r.dir}>
            <button
              type="button"
              className={`recent-item${r.missing ? ' missing' : ''}`}
              disabled={r.missing || open.isPending}
              onClick={() => open.mutate(r.dir)}
              title={r.missing ? `${r.dir} no longer exists` : r.dir}
              data-testid="recent-item"
              data-dir={r.dir}
            >
              <span className="recent-name">
                {r.name} <span className="badge task">{TASK_LABEL[r.task]}</span>
                {r.missing && <span className="badge missing-badge">missing</span>}
              </span>
              <span className="recent-dir">{r.dir}</span>
              <span className="recent-date">{new Date(r.openedAt).toLocaleString()}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  )
}
