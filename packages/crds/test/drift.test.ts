import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRD_DIR, renderCrdFiles } from '../src/index.js';
import { REPO } from './support.js';

describe('committed CRDs (charts/notification-manager/crds)', () => {
  const dir = join(REPO, CRD_DIR);
  const generated = renderCrdFiles();

  it('are exactly what the model generates (run `npm run generate:crds` after changing packages/model)', () => {
    const committed = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
    expect(committed).toEqual([...generated.keys()].sort());
    for (const [name, content] of generated) {
      expect({ name, content: readFileSync(join(dir, name), 'utf8') }).toEqual({ name, content });
    }
  });
});
