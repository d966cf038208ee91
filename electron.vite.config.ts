import { resolve } from 'node:path'
import { defineConfig, externalizeDepsPlugin } from 'electron-vite'
import react from '@vitejs/plugin-react'

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/main/cli.ts'),
          // Inference runs in a worker thread that owns the ORT session.
          segmentWorker: resolve(__dirname, 'src/main/services/jobs/segmentWorker.ts'),
          exportWorker: resolve(__dirname, 'src/main/services/avsbench/exportWorker.ts')
        }
      }
    }
  },
  preload: {
    // A sandboxed preload can only require 'electron': bundle everything else (zod) into it.
    plugins: [externalizeDepsPlugin({ exclude: ['zod'] })],
    build: {
      rollupOptions: { output: { format: 'cjs', entryFileNames: '[name].cjs' } }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    plugins: [react()],
    build: {
      minify: true,
      rollupOptions: { input: resolve(__dirname, 'src/renderer/index.html') }
    }
  }
})
