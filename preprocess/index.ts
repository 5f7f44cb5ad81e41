/** The shared core: pure image processing used by the trainer, the reader and the app alike. */
export * from './validate.ts';
export * from './image.ts';
export * from './random.ts';
export * from './resample.ts';
export * from './moments.ts';
export * from './normalize.ts';
export * from './version.ts';
export * from './augment.ts';
export * from './corrupt.ts';
export * from './locate.ts';
export * from './synth.ts';
export * from './read-page.ts';
export * from './read-classify.ts';
export * from './records.ts';
export * from './records-csv.ts';
