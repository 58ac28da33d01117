/** Stops what startEmulators started, and waits for the Java process to exit. */
export default async (): Promise<void> => {
  await (globalThis as { stopDynamo?: () => Promise<void> }).stopDynamo?.()
}
