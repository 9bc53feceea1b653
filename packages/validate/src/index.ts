// Public API of @ft/validate.

// Errors
export { ValidateError } from './errors.js';
export type { ValidateErrorCode, ValidateErrorDetails } from './errors.js';

// Shared result types
export type {
  ClassScores,
  ComparisonResult,
  ConfidenceInterval,
  DegradedSample,
  GateResult,
  GateRuleResult,
  Verdict,
} from './types.js';

// Metrics: classification, NER, speech, regression, similarity, retrieval (src/metrics)
export {
  accuracy,
  averagePrecisionScore,
  classificationReport,
  confusionMatrix,
  f1Score,
  fbetaScore,
  hammingLoss,
  multiclassRocAucScore,
  multilabelAveragePrecision,
  multilabelPrecisionRecallFscore,
  multilabelRocAucScore,
  precisionRecallCurve,
  precisionRecallFscore,
  precisionScore,
  recallScore,
  rocAucScore,
  rocCurve,
  subsetAccuracy,
} from './metrics/classification.js';
export type {
  AccuracyOptions,
  AveragedScores,
  BinaryScoreOptions,
  ClassAverage,
  ClassificationOptions,
  ClassificationReport,
  ClassificationReportOptions,
  ClassScoreFunction,
  ConfusionMatrix,
  ConfusionMatrixOptions,
  Label,
  MulticlassRocAucOptions,
  MultilabelAverage,
  MultilabelPerClassScores,
  MultilabelPrecisionRecallFscoreOptions,
  MultilabelScoreOptions,
  PerClassScores,
  PrecisionRecallCurve,
  PrecisionRecallFscoreOptions,
  RocCurve,
  RocCurveOptions,
  SampleWeightOptions,
} from './metrics/classification.js';
export {
  extractEntities,
  nerAccuracy,
  nerClassificationReport,
  nerPrecisionRecallFscore,
} from './metrics/ner.js';
export type {
  Entity,
  EntityOptions,
  NerPerTypeScores,
  NerReport,
  NerReportOptions,
  NerScoreOptions,
  TaggingScheme,
} from './metrics/ner.js';
export {
  meanAbsoluteError,
  meanSquaredError,
  pearson,
  r2Score,
  rankAverage,
  rootMeanSquaredError,
  spearman,
} from './metrics/regression.js';
export type { CorrelationResult, R2Options, RegressionOptions } from './metrics/regression.js';
export {
  evaluateRetrieval,
  hitRate,
  meanReciprocalRank,
  ndcgAtK,
  ndcgScore,
  precisionAtK,
  recallAtK,
} from './metrics/retrieval.js';
export type {
  NdcgOptions,
  NdcgScoreOptions,
  QueryRetrievalScores,
  RetrievalOptions,
  RetrievalQuery,
  RetrievalReport,
} from './metrics/retrieval.js';
export {
  characterErrorRate,
  matchErrorRate,
  processCharacters,
  processWords,
  wordErrorRate,
  wordInformationLost,
  wordInformationPreserved,
} from './metrics/speech.js';
export type {
  AlignmentChunk,
  CharacterMeasures,
  EditCounts,
  SentenceCounts,
  SpeechOptions,
  WordMeasures,
} from './metrics/speech.js';

// Metrics: generation — BLEU, chrF, ROUGE, perplexity (src/metrics)
export {
  bleuFromStats,
  bleuSentenceStats,
  bleuTokenizers,
  corpusBleu,
  sentenceBleu,
} from './metrics/bleu.js';
export type {
  BleuOptions,
  BleuResult,
  BleuScoreOptions,
  BleuSmoothMethod,
  BleuTokenizerName,
} from './metrics/bleu.js';
export { chrfFromStats, chrfSentenceStats, corpusChrf, sentenceChrf } from './metrics/chrf.js';
export type { ChrfOptions, ChrfResult, ChrfScoreOptions } from './metrics/chrf.js';
export { perplexity } from './metrics/perplexity.js';
export type { PerplexityOptions, PerplexityResult } from './metrics/perplexity.js';
export { porterStem } from './metrics/porter-stemmer.js';
export { corpusRouge, rougeTokenize, sentenceRouge } from './metrics/rouge.js';
export type {
  CorpusRougeResult,
  RougeOptions,
  RougeScore,
  RougeScores,
  RougeType,
} from './metrics/rouge.js';
export { sumSufficientStats } from './metrics/sufficient-stats.js';
export { tokenize13a } from './metrics/tokenize-13a.js';
export { tokenizeIntl } from './metrics/tokenize-intl.js';

// Statistics, baseline comparison, quality gates, cross-validation (src/stats, src/compare, src/gates, src/cv)
export {
  compareCorpusToBaseline,
  compareToBaseline,
  findDegradedSamples,
} from './compare/baseline.js';
export type {
  CiMethod,
  CompareCorpusOptions,
  CompareToBaselineOptions,
  ComparisonTest,
} from './compare/baseline.js';
export {
  bootstrap,
  createMeanDifference,
  createMetricDifference,
  createPairedStatistic,
  createSufficientStatisticsMetric,
  permutationTest,
  resampleIndices,
} from './stats/bootstrap.js';
export type {
  BootstrapOptions,
  BootstrapResult,
  PairedStatistic,
  PermutationOptions,
  PermutationResult,
  SufficientStatisticsOptions,
  System,
  SystemPairMetric,
} from './stats/bootstrap.js';
export { benjaminiHochberg, holmCorrection } from './stats/corrections.js';
export type { CorrectionOptions, CorrectionResult } from './stats/corrections.js';
export { cohensDIndependent, cohensDPaired } from './stats/effect-size.js';
export { crossValidate, resolveFolds, summarize } from './cv/cross-validate.js';
export type {
  CrossValidateOptions,
  CrossValidationResult,
  FoldContext,
  FoldResult,
  FoldSpec,
  MetricSummary,
} from './cv/cross-validate.js';
export { compareConfigurations, nadeauBengioTest } from './cv/nadeau-bengio.js';
export type {
  CompareConfigurationsOptions,
  CompareConfigurationsResult,
  Configuration,
  NadeauBengioOptions,
  NadeauBengioResult,
} from './cv/nadeau-bengio.js';
export { evaluateGates } from './gates/evaluate.js';
export type { GateInput, MetricValues } from './gates/evaluate.js';
export { loadGates, parseGates, validateGateConfig } from './gates/load.js';
export type { ParseGatesOptions } from './gates/load.js';
export { gateConfigSchema, gateRuleSchema } from './gates/schema.js';
export type {
  DegradedRule,
  GateConfig,
  GateRule,
  GateRuleType,
  RegressionRule,
  SignificanceRule,
  ThresholdRule,
} from './gates/schema.js';
export {
  mcnemarFromCounts,
  mcnemarTest,
  pairedTTest,
  signTest,
  wilcoxonSignedRank,
} from './stats/tests.js';
export type {
  Alternative,
  McNemarOptions,
  McNemarResult,
  PairedTTestOptions,
  PairedTTestResult,
  SignTestOptions,
  SignTestResult,
  TestResult,
  WilcoxonOptions,
  WilcoxonResult,
  ZeroMethod,
} from './stats/tests.js';

// Regression suites and reports (src/suites, src/reports)
export { createFileSuiteStore } from './suites/file-store.js';
export { suiteReportInput } from './suites/report.js';
export type { SuiteReportOptions } from './suites/report.js';
export { DEFAULT_THRESHOLDS, resolveThresholds, runSuite } from './suites/run.js';
export { leastSquaresSlope, suiteTrends } from './suites/trends.js';
export type {
  FileSuiteStoreOptions,
  ResolvedThresholds,
  RunSuiteOptions,
  SetBaseline,
  SetRunResult,
  SetRunStatus,
  SetRunSummary,
  SetThresholds,
  SuiteBaseline,
  SuiteDegradedSample,
  SuiteRunRecord,
  SuiteRunResult,
  SuiteStore,
  SuiteTrend,
  SuiteTrendsOptions,
  TestExample,
  TestSetDefinition,
  TestSetInfo,
  TestSetKind,
} from './suites/types.js';
export { renderReport, writeReport } from './reports/render.js';
export { escapeMarkdown } from './reports/markdown.js';
export { REPORT_JSON_SCHEMA } from './reports/json.js';
export type {
  RenderReportOptions,
  ReportConfusionMatrix,
  ReportFormat,
  ReportHistoryPoint,
  ReportInput,
  ReportSection,
  WriteReportOptions,
  WrittenReport,
} from './reports/types.js';
