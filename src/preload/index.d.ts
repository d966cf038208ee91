import type { ApiClient } from '../shared/api'

declare global {
  interface Window {
    /** Present in Electron (the preload); absent in browser mode, where the HTTP client is used. */
    api?: ApiClient & { openVideos(): Promise<string[]>; openFolder(): Promise<string | null>; pathForFile?(file: File): string }
  }
}
export {}
