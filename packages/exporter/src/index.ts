export {
  planMap,
  labelText,
  type MapPlan,
  type LabelPlan,
  type NumberPlan,
  type HistogramPlan,
} from './plan.js';
export {
  MapCollector,
  registerMaps,
  type CollectorOptions,
  type ExportedMap,
} from './collector.js';
export { serve, type ServeOptions } from './server.js';
export { renderMetrics, renderMetricsBytes } from './render.js';
export { Registry } from 'prom-client';
