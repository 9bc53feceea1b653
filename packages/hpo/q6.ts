import { createNsga2Sampler } from './src/samplers/nsga2.js';
import { runLoop } from './src/samplers/testing.js';
const run = (constrained: boolean) => runLoop({ sampler: createNsga2Sampler({ seed: 3, populationSize: 10 }), nTrials: 150, directions: ['minimize', 'minimize'], objective: (c: any) => { const x = c.suggestFloat('x', 0, 1); const y = c.suggestFloat('y', 0, 1); const values = [x, 1 - x + y]; return constrained ? { values, constraints: [0.7 - x] } : values; } });
const share = (t: any[]) => t.slice(100).filter((t) => t.params.x >= 0.7).length / 50;
console.log(share(run(true)), share(run(false)));
