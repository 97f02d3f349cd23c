/**
 * Where a training job's labeled events come from. A provider reads everything once per job (training needs
 * all rows in memory for the seeded split) and says what it read, for the model's metadata.
 *
 * Files are the one provider today; a Splunk search and the analyst-label overrides of the feedback lookup
 * plug in here later (an override is a provider wrapping another one: same events, some labels replaced,
 * keyed by the `event_id` that each event's `origin` gives).
 */
import type { ModelMetadata } from "../registry/metadata.ts";
import type { NetEvent, RejectedRow } from "../sources/event.ts";
import { openFileSource, readAllLabeled, type FileSourceOptions } from "../sources/file/index.ts";

/** What a model was trained on, recorded as-is in its metadata (`data`). */
export type DataDescription = ModelMetadata["data"];

export interface TrainingData {
  /** Events labeled 0 (benign) or 1 (attack) only; left-out rows are counted in `description`. */
  events: NetEvent[];
  /**
   * The field names every event can carry, for the feature choice. When absent, the job takes the fields
   * seen in its feature-choice sample.
   */
  fields?: string[];
  description: DataDescription;
  /** Some of the rows that could not be parsed (at most a hundred), for the report; their count is in `description.rejected`. */
  rejectedSamples?: RejectedRow[];
}

export interface TrainingDataProvider {
  /**
   * Reads the labeled data. Rejects with a `TrainingDataError` for a problem in the data or its location that
   * the user can fix (missing file, no label column); with the signal's reason when aborted.
   */
  read(signal?: AbortSignal): Promise<TrainingData>;
}

/** The data cannot train a model (unreadable, unlabeled, one class only): the message is the whole story. */
export class TrainingDataError extends Error {
  override name = "TrainingDataError";
}

/** Labeled events from files (Zeek `conn.log`, CSV, JSON lines, NSL-KDD, UNSW-NB15; `.gz` too). */
export function fileTrainingData(options: FileSourceOptions): TrainingDataProvider {
  return {
    async read(signal) {
      signal?.throwIfAborted();
      let fields: string[];
      let labeled;
      try {
        fields = await openFileSource(options).fields();
        labeled = await readAllLabeled(options);
      } catch (e) {
        throw new TrainingDataError((e as Error).message, { cause: e });
      }
      signal?.throwIfAborted();
      const { events, counts } = labeled;
      return {
        events,
        fields,
        description: {
          files: options.files,
          rows: events.length,
          positives: counts.attack,
          negatives: counts.benign,
          excluded: counts.excluded + counts.unlabeled,
          rejected: counts.rejected,
        },
        rejectedSamples: labeled.rejected,
      };
    },
  };
}

/**
 * Events already in memory (a bench's training side of a split, a test's fixture). `files` names where they
 * came from for the description; nothing was excluded or rejected on the way.
 */
export function eventsTrainingData(events: NetEvent[], options: { fields?: string[]; files?: string[] } = {}): TrainingDataProvider {
  return {
    read(signal) {
      signal?.throwIfAborted();
      const positives = events.reduce((n, e) => n + (e.label === 1 ? 1 : 0), 0);
      return Promise.resolve({
        events,
        fields: options.fields,
        description: { files: options.files ?? [], rows: events.length, positives, negatives: events.length - positives, excluded: 0, rejected: 0 },
      });
    },
  };
}
