// Fetches the helm binary once, before the test files run in parallel workers.
import { ensureHelm } from '../scripts/helm.mjs';

export default function globalSetup() {
  process.env.NM_HELM = ensureHelm();
}
