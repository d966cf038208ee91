import { ApiError } from '../../../shared/api'

const DISK_FULL_TEXT = /ENOSPC|EDQUOT|No space left on device|Disk quota exceeded|database or disk is full/i

/** Whether `err` says the disk (or the user's quota) is full: errno, SQLite's SQLITE_FULL, or ffmpeg's words. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return true
  return DISK_FULL_TEXT.test(String((err as Error | null)?.message ?? ''))
}

/** `disk_full`, naming the folder whose disk is full and what did not happen; other errors pass through. */
export function diskFullError(err: unknown, folder: string | null, what = 'The last change was not saved'): unknown {
  if (err instanceof ApiError || !isDiskFull(err)) return err
  const path = (err as NodeJS.ErrnoException).path ?? folder
  const where = path ? `the disk that holds ${path}` : 'the disk'
  return new ApiError('disk_full', `No space left on ${where}. ${what}; free some space there and try again.`)
}
