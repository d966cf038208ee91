import { electronExtras } from '../../apiClient'

/** A folder path field with a Browse button in Electron (browser mode: paths on the server's machine). */
export function FolderField({
  id,
  value,
  onChange,
  testId,
  placeholder,
  fromBrowse = (dir) => dir
}: {
  id: string
  value: string
  onChange: (v: string) => void
  testId: string
  placeholder: string
  /** Turns the folder picked with Browse into the field's value (e.g. a new folder inside it). */
  fromBrowse?: (dir: string) => string
}) {
  const extras = electronExtras()
  return (
    <div className="field-row">
      <input id={id} type="text" value={value} onChange={(e) => onChange(e.target.value)} placeholder={placeholder} spellCheck={false} data-testid={testId} />
      {extras && (
        <button type="button" onClick={() => void extras.openFolder().then((dir) => dir && onChange(fromBrowse(dir)))} data-testid={`${testId}-browse`}>
          Browse…
        </button>
      )}
    </div>
  )
}
