/** The contact hub's pure domain: no I/O anywhere below this folder. */
export * from './alignment-validator.js';
export * from './conflict-resolver.js';
export * from './contact-content.js';
export * from './contact-merge.js';
export * from './contact-normalise.js';
export * from './contact-prompt-builder.js';
export * from './drift-report.js';
export * from './echo-detector.js';
export * from './field-ownership.js';
export * from './conflict-take.js';
