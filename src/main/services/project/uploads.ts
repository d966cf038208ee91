import { randomUUID } from 'node:crypto'
import { lstat, readdir, rm, rmdir } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'

/**
 * Browser mode's uploads: a dropped file's bytes are stored as `<project>/uploads/<id>/<name>` and
 * then imported by path. An upload is removed once an import has consumed it, and leftovers (never
 * imported, or the server stopped first) when the project is next opened. Only folders named like
 * an upload id are ever removed, so nothing else in the project folder is touched.
 */
export const UPLOADS_DIR = 'uploads'
const UPLOAD_ID = /^[0-9a-f]{8}$/

/** A new, unique folder for one upload (one folder each keeps the user's file name without collisions). */
export function newUploadDir(projectDir: string): string {
  return join(projectDir, UPLOADS_DIR, randomUUID().slice(0, 8))
}

/** The upload folder that holds `file`, or null when `file` is not an upload of this project. */
export function uploadDirOf(projectDir: string, file: string): string | null {
  const dir = dirname(resolve(file))
  return dirname(dir) === join(resolve(projectDir), UPLOADS_DIR) && UPLOAD_ID.test(basename(dir)) ? dir : null
}

/** A real folder, not a link that could lead out of the project. */
async function isRealDir(path: string): Promise<boolean> {
  return lstat(path).then(
    (st) => st.isDirectory() && !st.isSymbolicLink(),
    () => false
  )
}

/** Removes the upload that `file` is (its whole upload folder); does nothing for any other file. */
export async function removeUpload(projectDir: string, file: string): Promise<void> {
  const dir = uploadDirOf(projectDir, file)
  const root = join(resolve(projectDir), UPLOADS_DIR)
  if (!dir || !(await isRealDir(root)) || !(await isRealDir(dir))) return
  await rm(dir, { recursive: true, force: true })
  await rmdir(root).catch(() => undefined)
}

/** Removes every upload of the project (leftovers); `uploads/` itself only once it is empty. */
export async function removeUploads(projectDir: string): Promise<void> {
  const root = join(resolve(projectDir), UPLOADS_DIR)
  if (!(await isRealDir(root))) return
  for (const entry of await readdir(root)) {
    if (UPLOAD_ID.test(entry) && (await isRealDir(join(root, entry)))) await rm(join(root, entry), { recursive: true, force: true })
  }
  await rmdir(root).catch(() => undefined)
}
