// Undo actions that must run even when the normal path cannot: a second
// Ctrl-C, or process exit. Each is synchronous and safe to run twice.

const actions = new Set<() => void>();

export function onEmergency(action: () => void): () => void {
  actions.add(action);
  return () => actions.delete(action);
}

export function runEmergencyActions(): void {
  for (const action of [...actions].reverse()) {
    try {
      action();
    } catch {
      // Keep undoing the rest.
    }
    actions.delete(action);
  }
}
