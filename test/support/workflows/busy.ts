/**
 * A workflow whose one activation computes for a while without yielding (test/integration/vm-watchdog.test.ts):
 * the SDK's isolate timeout cuts such an activation off; a worker without the VM watchdog lets it finish.
 */
export async function computeWithoutYielding(iterations: number): Promise<number> {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x * 31 + i) % 1_000_003;
  return x;
}
