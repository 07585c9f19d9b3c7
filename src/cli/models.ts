import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { buildCapabilityModel, buildModel } from '../ml/build-model.js';
import { prCurve, rocCurve, svgCurve } from '../ml/curves.js';
import { readRows } from '../ml/data.js';
import { binaryReport, multiClassReport } from '../ml/evaluate.js';
import { modelPaths, modelsDir, readCard } from '../ml/model-files.js';
import { createOnnxScorer } from '../ml/onnx-session.js';
import { buildEmbeddingModel, DEFAULT_EMBEDDING } from '../ml/embedding.js';
import { isTask, TASKS, type TaskName } from '../ml/tasks.js';
import type { EpochReport } from '../ml/train.js';

export interface ModelCommandDeps {
  readonly io: { readonly out: (line: string) => void; readonly err: (line: string) => void };
  readonly exit: (code: number) => void;
}

const task = (v: string): TaskName => {
  if (!isTask(v)) throw new InvalidArgumentError(`one of ${TASKS.join(', ')}`);
  return v;
};

interface TrainFlags {
  data: string;
  out: string;
  seed: number;
  benignPool: string;
  labels?: string;
}

/** `agentwall models train|eval|build-embedding` (docs/models.md). */
export function registerModelCommands(program: Command, deps: ModelCommandDeps): void {
  const models = program.command('models').description('Train and evaluate the shipped classifiers');
  models
    .command('train')
    .description('Train a task from its JSONL data; writes models/<task>.onnx and models/<task>.card.json')
    .argument('<task>', TASKS.join(' | '), task)
    .requiredOption(
      '--data <dir>',
      'the task data directory, e.g. ../shared/data/injection; for capability the data root (../shared/data)',
    )
    .option('--out <dir>', 'where to write the model and its card', modelsDir())
    .option('--seed <n>', 'seed for the split and the trainer', (v) => Number(v), 1)
    .option(
      '--benign-pool <dir>',
      'installed npm packages split by package: one half adds benign training rows (injection), the other calibrates the threshold; "none" for neither',
      join(modelsDir(), '..', 'node_modules'),
    )
    .option('--labels <file>', 'capability: the tool labels (default models/capability.labels.jsonl)')
    .action(async (t: TaskName, flags: TrainFlags) => {
      const onEpoch = (r: EpochReport) =>
        deps.io.err(
          `epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)}, dev loss ${r.devLoss.toFixed(4)}, dev accuracy ${r.devAccuracy.toFixed(4)}`,
        );
      const built =
        t === 'capability'
          ? await buildCapabilityModel({
              dataDir: resolve(flags.data),
              seed: flags.seed,
              onEpoch,
              ...(flags.labels ? { labelsFile: resolve(flags.labels) } : {}),
            })
          : await buildModel(t, {
              dataDir: resolve(flags.data),
              seed: flags.seed,
              poolRoot: flags.benignPool === 'none' ? undefined : resolve(flags.benignPool),
              onEpoch,
            });
      const paths = await writeModel(t, flags.out, built);
      deps.io.out(`${paths.onnx}: ${built.onnx.length} bytes; card ${paths.card}`);
      const { card } = built;
      const threshold =
        'thresholds' in card ? { thresholds: card.thresholds } : { threshold: card.threshold };
      deps.io.out(JSON.stringify({ ...threshold, dev_metrics: card.dev_metrics }));
    });
  models
    .command('build-embedding')
    .description(
      'Write the default text embedding (a seeded random projection): models/embedding.onnx and its card',
    )
    .option('--out <dir>', 'where to write the model and its card', modelsDir())
    .option('--dim <n>', 'embedding dimension', (v) => Number(v), DEFAULT_EMBEDDING.dim)
    .option('--seed <n>', 'seed of the projection table', (v) => Number(v), DEFAULT_EMBEDDING.seed)
    .action(async (flags: { out: string; dim: number; seed: number }) => {
      if (!Number.isInteger(flags.dim) || flags.dim < 1) throw new InvalidArgumentError('--dim must be ≥ 1');
      const built = buildEmbeddingModel({ ...DEFAULT_EMBEDDING, dim: flags.dim, seed: flags.seed });
      const paths = await writeModel('embedding', flags.out, built);
      deps.io.out(`${paths.onnx}: ${built.onnx.length} bytes; card ${paths.card}`);
    });
  models
    .command('eval')
    .description('Score a JSONL file with a shipped model and report the metrics')
    .argument('<task>', 'injection | jailbreak | domain', task)
    .requiredOption('--data <file>', 'JSONL rows with text and label')
    .option('--models <dir>', 'where the model and its card are', modelsDir())
    .option('--json', 'print one JSON object')
    .option('--report <dir>', 'write report.md with ROC and PR curves (binary) or a confusion matrix')
    .action(async (t: TaskName, flags: { data: string; models: string; json?: boolean; report?: string }) => {
      if (t === 'capability') {
        deps.io.err(
          'agentwall: models eval scores labelled text rows; capability labels tools: its card holds cross-validated metrics (docs/models.md)',
        );
        deps.exit(2);
        return;
      }
      const report = await evaluateFile(t, flags.data, flags.models);
      deps.io.out(flags.json ? JSON.stringify(report.metrics) : JSON.stringify(report.metrics, null, 2));
      if (flags.report) {
        await mkdir(flags.report, { recursive: true });
        const files = report.files as Record<string, string>;
        for (const [name, text] of Object.entries(files)) await writeFile(join(flags.report, name), text);
        deps.io.err(`report written to ${join(flags.report, 'report.md')}`);
      }
    });
}

async function writeModel(name: string, out: string, built: { onnx: Uint8Array; card: unknown }) {
  await mkdir(out, { recursive: true });
  const paths = { onnx: join(out, `${name}.onnx`), card: join(out, `${name}.card.json`) };
  await writeFile(paths.onnx, built.onnx);
  await writeFile(paths.card, `${JSON.stringify(built.card, null, 2)}\n`);
  return paths;
}

async function evaluateFile(t: TaskName, dataFile: string, dir: string) {
  const card = await readCard(t, dir);
  const rows = await readRows(dataFile);
  const scorer = await createOnnxScorer({ model: modelPaths(t, dir).onnx, features: card.features });
  try {
    const scores: Float32Array[] = [];
    for (let i = 0; i < rows.length; i += 256)
      scores.push(...(await scorer.score(rows.slice(i, i + 256).map((r) => r.text))));
    if (card.threshold === undefined) {
      const metrics = multiClassReport(rows, scores, card.labels);
      return {
        metrics,
        files: {
          'report.md': `# ${t} on ${dataFile}\n\naccuracy ${metrics.accuracy.toFixed(4)}, macro F1 ${metrics.macro_f1.toFixed(4)}\n\n\`\`\`json\n${JSON.stringify(metrics.confusion, null, 1)}\n\`\`\`\n`,
        },
      };
    }
    const positive = card.labels[1] ?? '';
    const p = scores.map((s) => s[0] ?? 0);
    const metrics = binaryReport(rows, p, positive, card.threshold);
    const items = rows.map((r, i) => ({ score: p[i] ?? 0, positive: r.label === positive }));
    const worst = (fp: boolean) =>
      rows
        .map((r, i) => ({ r, s: p[i] ?? 0 }))
        .filter(({ r, s }) =>
          fp ? r.label !== positive && s >= card.threshold! : r.label === positive && s < card.threshold!,
        )
        .sort((a, b) => (fp ? b.s - a.s : a.s - b.s))
        .slice(0, 10)
        .map(({ r, s }) => `- ${s.toFixed(3)} \`${r.source}\`: ${JSON.stringify(r.text.slice(0, 160))}`)
        .join('\n');
    const md = [
      `# ${t} on ${dataFile}`,
      '',
      `threshold ${card.threshold.toFixed(4)} · AUC ${metrics.auc.toFixed(4)} · TPR ${metrics.at_threshold.tpr.toFixed(4)} · FPR ${metrics.at_threshold.fpr.toFixed(4)} · TPR@1%FPR ${metrics.tpr_at_fpr_1pct.toFixed(4)}`,
      '',
      '![ROC](roc.svg) ![PR](pr.svg)',
      '',
      '## Worst false positives',
      worst(true) || '(none)',
      '',
      '## Worst false negatives',
      worst(false) || '(none)',
      '',
    ].join('\n');
    return {
      metrics,
      files: {
        'report.md': md,
        'roc.svg': svgCurve(rocCurve(items), `ROC — ${t}`, 'false-positive rate', 'true-positive rate'),
        'pr.svg': svgCurve(prCurve(items), `Precision–recall — ${t}`, 'recall', 'precision'),
      },
    };
  } finally {
    await scorer.close();
  }
}
