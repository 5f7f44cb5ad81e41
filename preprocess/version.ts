/**
 * Version of the preprocessing contract. Bump it whenever normalize or locate changes the 28x28 bytes a
 * given input produces: models record it in their manifest, so skew between trainer and app shows.
 */
export const PREPROCESS_VERSION = '1.0.0';
