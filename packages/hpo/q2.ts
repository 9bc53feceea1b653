import { createTpeSampler } from './src/samplers/tpe.js';
import { runLoop } from './src/samplers/testing.js';
const obj = (c: any) => { const x = c.suggestFloat('x', -10, 10); const y = c.suggestFloat('y', -10, 10); return (x - 2) ** 2 + (y + 3) ** 2; };
const t0 = performance.now();
runLoop({ sampler: createTpeSampler({ seed: 1 }), nTrials: 1000, objective: obj });
console.log('1000 trials ms', performance.now() - t0);
