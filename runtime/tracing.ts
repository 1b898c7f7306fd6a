import { createRequire } from 'node:module';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * OpenTelemetry traces across API → workflow → activity (README: Tracing), off unless the standard
 * `OTEL_TRACES_EXPORTER` names an exporter: `otlp` (OTLP over HTTP; `OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS` as the exporter reads them) or
 * `console`. `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` name the process;
 * `OTEL_TRACES_SAMPLER`/`OTEL_TRACES_SAMPLER_ARG` and `OTEL_BSP_*` are read by the SDK itself.
 *
 * With tracing on, the API opens a server span per request (api/app.ts, through the global
 * OpenTelemetry API, a no-op while tracing is off), the Temporal client carries its context into
 * workflow starts, Updates, signals and queries (OpenTelemetryWorkflowClientInterceptor), the
 * workflow interceptors (in the workflow bundle) continue it into activities, and the activity
 * interceptors open the activity spans. Workflow and activity log lines then carry `trace_id`
 * and `span_id`; the API's request log line carries the same `traceId` beside its `requestId`.
 */
export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Flushes the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

const SUPPORTED = ['otlp', 'console'] as const;

/** The exporter `OTEL_TRACES_EXPORTER` asks for (the first supported one), or undefined: tracing off. */
export function tracesExporterFromEnv(env: NodeJS.ProcessEnv = process.env): (typeof SUPPORTED)[number] | undefined {
  const names = (env.OTEL_TRACES_EXPORTER ?? 'none').split(',').map((n) => n.trim().toLowerCase());
  return SUPPORTED.find((s) => names.includes(s));
}

let installed: Tracing | undefined;

/**
 * Registers the global tracer provider (W3C trace context, AsyncLocalStorage context) once per
 * process when the environment asks for traces; otherwise returns undefined and changes nothing.
 */
export function installTracing(defaultServiceName: string, env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
  if (installed) return installed;
  const exporter = tracesExporterFromEnv(env);
  if (!exporter) return undefined;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME ?? defaultServiceName }).merge(envDetectorSync.detect());
  const spanProcessor = exporter === 'otlp' ? new BatchSpanProcessor(new OTLPTraceExporter()) : new SimpleSpanProcessor(new ConsoleSpanExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  installed = { resource, spanProcessor, shutdown: () => provider.shutdown() };
  return installed;
}

/** The workflow interceptor module of @temporalio/interceptors-opentelemetry, bundled into the traced workflow bundle. */
export const tracingWorkflowInterceptorsPath = createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');
