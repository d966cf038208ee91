import type { EventName, EventPayload } from '../shared/api'

type Listener = (event: EventName, payload: unknown) => void

/** Server → UI events; each transport (IPC, SSE) subscribes once and forwards everything. */
export class EventBus {
  private readonly listeners = new Set<Listener>()

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const l of this.listeners) l(event, payload)
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
