// Public API of @ft/hpo.

// Errors
export { HpoError } from './errors.js';
export type { HpoErrorCode, HpoErrorDetails } from './errors.js';

// Types shared by studies, samplers, pruners and storages
export type {
  CategoricalChoice,
  CategoricalDistribution,
  Distribution,
  FloatDistribution,
  FrozenTrial,
  IntDistribution,
  ParamValue,
  Pruner,
  Sampler,
  StudyDirection,
  StudyInfo,
  StudyStorage,
  StudyView,
  TrialResult,
  TrialState,
  TrialTemplate,
} from './types.js';

// Studies and trials: createStudy, ask/tell, optimize, workers, multi-objective, cross-validation
export {
  categoricalDistribution,
  checkDistributionCompatibility,
  contains,
  describeDistribution,
  distributionsEqual,
  floatDistribution,
  fromInternal,
  intDistribution,
  isSingle,
  singleValue,
  toInternal,
  validateDistribution,
} from './distributions.js';
export type { DistributionContext } from './distributions.js';
export { kFoldObjective } from './cv.js';
export type { KFoldObjectiveOptions } from './cv.js';
export {
  constrainedDominates,
  constraintViolation,
  dominates,
  isFeasible,
  nonDominatedSort,
  paretoFront,
} from './multi-objective.js';
export { importObjective, resolveObjectiveModule } from './optimize/modules.js';
export { createProcessRunner, workerEntryPath } from './optimize/processes.js';
export type { ProcessRunnerOptions } from './optimize/processes.js';
export type { ObjectiveModule, TrialOutcome } from './optimize/protocol.js';
export { Study, createStudy, loadStudy } from './study.js';
export type {
  CreateStudyOptions,
  EnqueueTrialOptions,
  HeartbeatOptions,
  Objective,
  ObjectiveValue,
  OptimizeCallback,
  OptimizeOptions,
  RetryOptions,
  StudyOptions,
  TellFailure,
  TrialsTableRow,
} from './study.js';
export { Trial, TrialPruned } from './trial.js';
export type {
  ObjectiveTrial,
  SuggestFloatOptions,
  SuggestIntOptions,
  TrialHost,
  TrialSetup,
} from './trial.js';

// Samplers: grid and random (src/samplers)
export { createGridSampler, isStoppingSampler } from './samplers/grid.js';
export type { GridSampler, GridSamplerOptions, StoppingSampler } from './samplers/grid.js';
export { createRandomSampler, sampleUniform } from './samplers/random.js';
export type { RandomSamplerOptions } from './samplers/random.js';

// Samplers: TPE, CMA-ES, NSGA-II (src/samplers)
export {
  createTpeSampler,
  defaultGamma,
  defaultWeights,
  hyperoptDefaultGamma,
} from './samplers/tpe.js';
export type { TpeSamplerOptions } from './samplers/tpe.js';
export { createParzenEstimator } from './samplers/tpe/parzen-estimator.js';
export type {
  ParzenEstimator,
  ParzenEstimatorParameters,
} from './samplers/tpe/parzen-estimator.js';
export {
  CMA_N_RESTARTS_KEY,
  CMA_OPTIMIZER_KEY,
  createCmaEsSampler,
} from './samplers/cmaes.js';
export type { CmaEsSamplerOptions, CmaState } from './samplers/cmaes.js';
export { createNsga2Sampler, NSGA2_GENERATION_KEY } from './samplers/nsga2.js';
export type { Nsga2Crossover, Nsga2SamplerOptions } from './samplers/nsga2.js';

// Pruners (src/pruners)
export {
  createHyperbandPruner,
  crc32,
  getHyperbandBracket,
  hyperbandBrackets,
} from './pruners/hyperband.js';
export type { HyperbandBrackets, HyperbandPrunerOptions } from './pruners/hyperband.js';
export { createMedianPruner } from './pruners/median.js';
export type { MedianPrunerOptions } from './pruners/median.js';
export { createNopPruner } from './pruners/nop.js';
export { createPercentilePruner } from './pruners/percentile.js';
export type { PercentilePrunerOptions } from './pruners/percentile.js';
export { createPruner, prunerNames } from './pruners/registry.js';
export type { PrunerName, PrunerOptionsOf } from './pruners/registry.js';
export { createSuccessiveHalvingPruner } from './pruners/successive-halving.js';
export type { SuccessiveHalvingPrunerOptions } from './pruners/successive-halving.js';
export { createThresholdPruner } from './pruners/threshold.js';
export type { ThresholdPrunerOptions } from './pruners/threshold.js';
export { createWilcoxonPruner, wilcoxonSignedRankTest } from './pruners/wilcoxon.js';
export type {
  WilcoxonAlternative,
  WilcoxonPrunerOptions,
  WilcoxonResult,
} from './pruners/wilcoxon.js';

// Analysis: importance, tables, plots (src/analysis)
export {
  createFanovaEvaluator,
  createMeanDecreaseImpurityEvaluator,
  getParamImportances,
} from './analysis/importance.js';
export type {
  EvaluateImportanceOptions,
  FanovaImportanceOptions,
  ImportanceEvaluator,
  MeanDecreaseImpurityOptions,
  ParamImportance,
  ParamImportancesOptions,
} from './analysis/importance.js';
export { trialsToCsv, trialsToRows } from './analysis/table.js';
export type { TableCell, TrialsTable, TrialsToRowsOptions } from './analysis/table.js';
export {
  intermediateValuesOption,
  optimizationHistoryOption,
  parallelCoordinateOption,
  paramImportancesOption,
  plotIntermediateValues,
  plotOptimizationHistory,
  plotParallelCoordinate,
  plotParamImportances,
  renderChartToSvg,
} from './analysis/plots.js';
export type {
  ChartOption,
  ParallelCoordinateOptions,
  ParamImportancesPlotOptions,
  PlotOptions,
  TargetPlotOptions,
} from './analysis/plots.js';

// Storages (src/storages)
export { createInMemoryStorage } from './storages/memory.js';
export { createJournalStorage } from './storages/journal.js';
export type { JournalStorageOptions } from './storages/journal.js';
export { createRedisStorage } from './storages/redis.js';
export type { RedisStorageOptions } from './storages/redis.js';
export { createPostgresStorage } from './storages/postgres.js';
export type { PostgresStorageOptions } from './storages/postgres.js';
