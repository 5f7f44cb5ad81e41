/**
 * The one error type of the Node decoders (trainer/decode*.ts).
 * Callers branch on `code`; the message is already a sentence for the user, naming the file and the problem,
 * so the edge (CLI, report) prints it as it is.
 */

export type DecodeErrorCode =
  'empty' | 'corrupt' | 'unsupported' | 'too-large' | 'encrypted' | 'no-pages' | 'not-found' | 'is-directory';

export class DecodeError extends Error {
  override name = 'DecodeError';
  readonly code: DecodeErrorCode;
  /** The path or name the caller gave for the input. */
  readonly file?: string;

  constructor(
    code: DecodeErrorCode,
    file: string | undefined,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(
      file === undefined ? `Cannot read the input: ${problem}` : `Cannot read "${file}": ${problem}`,
      options,
    );
    this.code = code;
    this.file = file;
  }
}
